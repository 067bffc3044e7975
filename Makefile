# The two commands that matter are in the README: `make demo` and `make test`.
.PHONY: build demo test bench-scan fuzz

build:
	go build -o paved ./cmd/paved

demo:
	go run ./cmd/paved demo

test:
	scripts/test.sh

bench-scan: build
	./paved bench scan --repos 10000

fuzz:
	go test -run '^$$' -fuzz FuzzParseDescriptor -fuzztime 30s ./internal/catalog/
	go test -run '^$$' -fuzz FuzzParseRef -fuzztime 30s ./internal/catalog/
