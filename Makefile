.PHONY: setup run test bench graph

FLASK := .venv/bin/flask --app portal
# The session-signing secret of this checkout, made once (random, mode 600) and kept:
# the portal reads instance/secret_key when SECRET_KEY is not set, and refuses to start
# without either (tests use their own key).
SECRET := instance/secret_key

setup:
	bash scripts/setup.sh

$(SECRET):
	mkdir -p instance
	(umask 077 && python3 -c 'import secrets; print(secrets.token_hex(32))' > $@.new && mv $@.new $@)

run: setup $(SECRET)
	$(FLASK) db upgrade
	$(FLASK) demo
	@# a notice worker beside the web server, stopped with it (Ctrl-C or exit)
	$(FLASK) notices work & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port 5000

# The suite runs in TEST_WORKERS processes (pytest-xdist); each has its own SQLite file,
# PostgreSQL server and Chromium. TEST_WORKERS=0 runs it in this one process.
TEST_WORKERS ?= 2

test: setup
	.venv/bin/python -m pytest -q -n $(TEST_WORKERS)

bench: setup $(SECRET)
	$(FLASK) bench

graph: $(SECRET)
	$(FLASK) graph
