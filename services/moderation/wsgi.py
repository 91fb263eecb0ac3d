from services.moderation.app import create_app

app = create_app()
