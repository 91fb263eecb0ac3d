"""gunicorn settings shared by `make up` and the deployment (`-c python:services.chassis.gunicorn_conf`).

The access log leaves out the query string (evaluation and password links carry their token
there; searches may carry names) and the client address: no secrets, no personal data.
"""

accesslog = "-"
access_log_format = '%(m)s %(U)s %(s)s %(B)s %(M)sms'
timeout = 60
