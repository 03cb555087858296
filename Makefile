# ConnectKit — see README.md. Every target installs what is missing first.
SWIFT ?= swift

.PHONY: deps build run test bench bench-ratio bench-instructions bench-sql bench-kafka bench-elasticsearch bench-s3 fuzz vectors clean docs-check

deps:
	@./scripts/install-deps.sh

build: deps
	$(SWIFT) build

run: deps
	$(SWIFT) build -c release --product connect
	./.build/release/connect demo --directory /tmp/connectkit-demo
	python3 scripts/show-lake.py /tmp/connectkit-demo/lake

# The SQL tests need PostgreSQL and MariaDB, the Kafka tests a Kafka-protocol server (noida-db):
# scripts/with-test-servers.sh starts throwaway ones
# (127.0.0.1, free ports, temporary directories) and removes them afterwards, also on failure.
test: deps
	$(SWIFT) build --build-tests
	./scripts/with-test-servers.sh $(SWIFT) test --skip-build
	$(MAKE) docs-check

# Fails when a public symbol has no DocC comment (scripts/check-docs.py over the symbol graphs).
docs-check:
	$(SWIFT) package dump-symbol-graph --minimum-access-level public > /dev/null
	python3 scripts/check-docs.py

bench: deps
	cd Benchmarks && $(SWIFT) package --allow-writing-to-package-directory benchmark --format markdown

# Kafka's own classes and ConnectKit on equal work, three interleaved rounds, and the ratios (Java 17 + pip).
bench-ratio: deps
	./scripts/install-deps.sh bench
	./scripts/bench-ratio.sh

# Instructions per record (valgrind callgrind): the figure that does not move with the machine's load.
bench-instructions: deps
	./scripts/install-deps.sh bench
	./scripts/bench-instructions.sh

# The JDBC source and sink beside sqlite3, psql and mariadb on the same 1M-row table (BENCH_SQL_ROWS),
# interleaved, on throwaway PostgreSQL and MariaDB servers.
bench-sql: deps
	./scripts/bench-sql.sh

# The Kafka path beside kcat on the same 1M records (BENCH_KAFKA_RECORDS), interleaved: produce on
# librdkafka's mock cluster and on noida-db, consume and end-to-end (with p50/p99 latency) on noida-db.
bench-kafka: deps
	./scripts/bench-kafka.sh

# The Elasticsearch sink beside curl posting the same bulk bodies (BENCH_ES_RECORDS, default 200000),
# interleaved, on osmem-server and noida-db; then peak RSS against a slow server.
bench-elasticsearch: deps
	./scripts/bench-elasticsearch.sh

# Parquet beside pyarrow on the same rows, peak RSS with 500 open partitions, DataGen → S3 sink → moto.
bench-s3: deps
	./scripts/bench-s3.sh

# libFuzzer + AddressSanitizer over the JSON reader (both schema modes), the header converter and the
# properties/connector-file parsers, FUZZ_SECONDS (default 600) each, seeded from the golden vectors.
fuzz: deps
	./scripts/fuzz.sh

# Regenerates every golden and randomized vector file with Kafka's, Debezium's and the JDK's own classes
# (JsonConverter, transformations, dates, header and regex texts, the partitioner and offsets; Java 17 + pip).
vectors:
	./scripts/gen-json-vectors.sh
	./scripts/gen-transform-vectors.sh
	./scripts/gen-java-date-vectors.sh
	./scripts/gen-java-text-vectors.sh
	./scripts/gen-kafka-vectors.sh
	./scripts/gen-avro-vectors.sh
	./scripts/gen-joda-vectors.sh

clean:
	rm -rf .build Benchmarks/.build .build-fuzz
