# keelson: the commands the README shows.
#
#   make run     start keelson on the embedded store (prints the kubeconfig)
#   make test    lint + every test (what CI runs, after `make deps`)
#   make bench   storage, start-up, API, CRD, scheduler and workload benchmarks, printed as numbers and ratios
#   make deps    install what a fresh Debian machine lacks
#   make conformance [PRESET=nodefree|apimachinery|conformance] [STORE=etcd] [NODES=simulated]
#                upstream's e2e suite against a fresh keelson (see conformance/)
#   make protobuf-schema  regenerate src/apiserver/types/schema.json
#                (after bumping k8s-pb or k8s-openapi)

SHELL := /bin/bash
CARGO ?= cargo
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DATA_DIR ?= $(CURDIR)/.keelson

# Debian packages the build and the tests need: etcd for the etcd backend's
# tests and benchmarks; protoc and the well-known protos for etcd-client's
# build script; tzdata for CronJob time zones.
DEB_PACKAGES := etcd-server etcd-client protobuf-compiler libprotobuf-dev tzdata

.PHONY: run test lint fmt bench deps build protobuf-schema conformance

build:
	$(CARGO) build --release --locked

run: build
	./target/release/keelson up --data-dir $(DATA_DIR)

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

test: lint
	$(CARGO) nextest run --locked --all-targets --profile ci
	$(CARGO) test --locked --doc

fmt:
	$(CARGO) fmt --all

bench:
	$(CARGO) bench --locked --bench storage
	$(CARGO) bench --locked --bench startup
	$(CARGO) bench --locked --bench api $(if $(KUBECONFIG_UNDER_TEST),-- --kubeconfig $(KUBECONFIG_UNDER_TEST))
	$(CARGO) bench --locked --bench crds $(if $(KUBECONFIG_UNDER_TEST),-- --kubeconfig $(KUBECONFIG_UNDER_TEST))
	$(CARGO) bench --locked --bench scheduler
	$(CARGO) bench --locked --bench workloads

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update && \
	  if [ ! -e /usr/sbin/policy-rc.d ]; then \
	    printf '#!/bin/sh\nexit 101\n' | $(SUDO) tee /usr/sbin/policy-rc.d >/dev/null && $(SUDO) chmod +x /usr/sbin/policy-rc.d && trap '$(SUDO) rm -f /usr/sbin/policy-rc.d' EXIT; \
	  fi; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y --no-install-recommends $$missing; \
	fi
	@$(CARGO) nextest --version >/dev/null 2>&1 || $(CARGO) install --locked cargo-nextest
	@etcd --version | head -1

# The protobuf codec's message table, from the k8s-pb and k8s-openapi
# sources keelson locks (see tools/protobuf-schema).
protobuf-schema:
	$(CARGO) run --locked --manifest-path tools/protobuf-schema/Cargo.toml -- \
		$(CURDIR)/Cargo.toml $(CURDIR)/src/apiserver/types/schema.json

# Upstream's e2e suite through ../shared/upstream-k8s (not part of `make
# test`). `make conformance KUBECONFIG=path` (on the command line, not from
# the environment) measures that API server instead of a fresh keelson.
PRESET ?= nodefree
conformance:
	STORE=$(STORE) NODES=$(NODES) KUBECONFIG_UNDER_TEST=$(if $(filter command line,$(origin KUBECONFIG)),$(KUBECONFIG),$(KUBECONFIG_UNDER_TEST)) \
	  conformance/run $(PRESET)
