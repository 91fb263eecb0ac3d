from services.identity.app import create_app

app = create_app()
