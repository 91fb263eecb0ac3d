from services.experiences.app import create_app

app = create_app()
