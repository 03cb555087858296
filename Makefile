# ConnectKit — see README.md. Every target installs what is missing first.
SWIFT ?= swift

.PHONY: deps build run test bench vectors clean

deps:
	@./scripts/install-deps.sh

build: deps
	$(SWIFT) build

run: deps
	$(SWIFT) build -c release --product connect
	./.build/release/connect

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: deps
	cd Benchmarks && $(SWIFT) package --allow-writing-to-package-directory benchmark --format markdown

# Regenerates the JsonConverter golden vectors with Kafka's own classes (needs Java 17 and pip).
vectors:
	./scripts/gen-json-vectors.sh
	./scripts/gen-transform-vectors.sh

clean:
	rm -rf .build Benchmarks/.build
