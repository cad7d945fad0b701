.PHONY: setup run test bench graph

FLASK := .venv/bin/flask --app portal

setup:
	bash scripts/setup.sh

run: setup
	$(FLASK) db upgrade
	$(FLASK) demo
	$(FLASK) run --host 127.0.0.1 --port 5000

test: setup
	.venv/bin/python -m pytest -q

bench: setup
	$(FLASK) bench

graph:
	$(FLASK) graph
