import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# What is loaded by now (Django, the apps, their modules) lives as long as the
# process: keep it out of the garbage collector's generations, so that its
# periodic full passes scan only what requests create.
gc.freeze()
