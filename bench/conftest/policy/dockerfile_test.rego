# conftest verify -p bench/conftest/policy
package paved.dockerfile_test

import data.paved.dockerfile

from(stage, value) := {"Cmd": "from", "Flags": [], "Stage": stage, "Value": value}

cmd(stage, name, value) := {"Cmd": name, "Flags": [], "Stage": stage, "Value": value}

ids(msgs) := {split(m, ":")[0] | some m in msgs}

test_good_multi_stage if {
	msgs := dockerfile.deny with input as [
		from(0, ["golang:1.23@sha256:abc", "AS", "build"]),
		cmd(0, "run", ["go build"]),
		from(1, ["gcr.io/distroless/static-debian12:nonroot@sha256:def"]),
		cmd(1, "user", ["65532"]),
		cmd(1, "healthcheck", ["CMD", "/app -health"]),
	]
	count(msgs) == 0
}

test_floating_untagged_root if {
	msgs := dockerfile.deny with input as [from(0, ["node"]), cmd(0, "user", ["root"])]
	ids(msgs) == {"dockerfile-pinned", "dockerfile-no-latest", "dockerfile-digest", "dockerfile-nonroot", "dockerfile-healthcheck"}
}

test_latest_and_registry_port if {
	msgs := dockerfile.deny with input as [from(0, ["registry:5000/team/app:latest"]), cmd(0, "user", ["app"])]
	ids(msgs) == {"dockerfile-pinned", "dockerfile-no-latest", "dockerfile-digest", "dockerfile-healthcheck"}
	msgs2 := dockerfile.deny with input as [from(0, ["registry:5000/team/app"]), cmd(0, "user", ["app"])]
	"dockerfile-no-latest" in ids(msgs2)
}

test_digest_only_is_pinned if {
	msgs := dockerfile.deny with input as [from(0, ["alpine@sha256:abc"]), cmd(0, "user", ["app"])]
	ids(msgs) == {"dockerfile-healthcheck"}
}

test_user_and_healthcheck_inherited_from_stage if {
	msgs := dockerfile.deny with input as [
		from(0, ["alpine:3.20@sha256:abc", "AS", "Base"]),
		cmd(0, "user", ["app"]),
		cmd(0, "healthcheck", ["CMD", "true"]),
		from(1, ["base"]),
		cmd(1, "run", ["true"]),
	]
	count(msgs) == 0
}

test_nearest_stage_wins if {
	msgs := dockerfile.deny with input as [
		from(0, ["alpine:3.20@sha256:abc", "AS", "base"]),
		cmd(0, "user", ["app"]),
		cmd(0, "healthcheck", ["CMD", "true"]),
		from(1, ["base"]),
		cmd(1, "user", ["0"]),
		cmd(1, "healthcheck", ["NONE"]),
	]
	ids(msgs) == {"dockerfile-nonroot", "dockerfile-healthcheck"}
}

test_only_final_stage_counts if {
	msgs := dockerfile.deny with input as [
		from(0, ["alpine:3.20@sha256:abc", "AS", "build"]),
		cmd(0, "user", ["app"]),
		from(1, ["scratch"]),
	]
	ids(msgs) == {"dockerfile-nonroot", "dockerfile-healthcheck"}
}

test_not_a_dockerfile if {
	count(dockerfile.deny) == 0 with input as {"jobs": {}}
}
