from services.diagnostic.app import create_app

app = create_app()
