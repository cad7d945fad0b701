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
	$(FLASK) run --host 127.0.0.1 --port 5000

test: setup
	.venv/bin/python -m pytest -q

bench: setup $(SECRET)
	$(FLASK) bench

graph: $(SECRET)
	$(FLASK) graph
