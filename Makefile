.PHONY: setup run test bench graph

FLASK := .venv/bin/flask --app portal

setup:
	bash scripts/setup.sh

run: setup
	$(FLASK) db upgrade
	$(FLASK) demo
	@# a notice worker beside the web server, stopped with it (Ctrl-C or exit)
	$(FLASK) notices work & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port 5000

test: setup
	.venv/bin/python -m pytest -q

bench: setup
	$(FLASK) bench

graph:
	$(FLASK) graph
