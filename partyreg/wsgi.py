import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partyreg.settings")
application = get_wsgi_application()

# Without Redis there is no Celery beat: the web process runs the schedule (partyreg.scheduler).
if os.environ.get("PARTYREG_EMBEDDED_SCHEDULER", "1") != "0":
    from partyreg.scheduler import start_embedded_scheduler

    start_embedded_scheduler()
