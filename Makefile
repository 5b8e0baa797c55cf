# Aimaq — the two commands of the quick start are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000
PO_FILES := $(wildcard locale/*/LC_MESSAGES/django.po locale/*/LC_MESSAGES/djangojs.po */locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run test install messages compilemessages reference demo check-deploy clean

# Re-installs only when pyproject.toml changes.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Compiled translation catalogs are build products (not committed); polib compiles them, no gettext needed.
%.mo: %.po $(STAMP)
	$(PY) config/i18n.py compile $<

compilemessages: $(MO_FILES)

# Developers: refresh the .po files from the source after changing strings (needs GNU gettext).
messages: $(STAMP)
	$(PY) config/i18n.py extract

reference: $(STAMP) compilemessages
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_reference

demo: reference
	$(PY) manage.py load_demo

run: demo
	DEBUG=1 $(PY) manage.py run_with_worker $(HOST):$(PORT)

# The suite on 2 pytest-xdist workers (what .ci/run runs); PYTEST_ARGS= for one process.
PYTEST_ARGS ?= -q -n 2 --dist loadfile

test: $(STAMP) compilemessages
	$(PY) -m pytest $(PYTEST_ARGS)

check-deploy: $(STAMP)
	PRODUCTION=1 SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	  ALLOWED_HOSTS=aimaq.example.kz $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
	find . -name '*.mo' -not -path './$(VENV)/*' -delete
