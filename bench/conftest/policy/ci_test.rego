package paved.ci_test

import data.paved.ci

ids(msgs) := {split(m, ":")[0] | some m in msgs}

test_golden_current if {
	count(ci.deny) == 0 with input as {"jobs": {"ci": {"uses": "acme/golden-ci/.github/workflows/go.yml@v3"}}}
}

test_golden_old if {
	ids(ci.deny) == {"golden-ci-current"} with input as {"jobs": {"ci": {"uses": "acme/golden-ci/.github/workflows/go.yml@v2"}}}
}

test_golden_branch_ref if {
	ids(ci.deny) == {"golden-ci-current"} with input as {"jobs": {"ci": {"uses": "acme/golden-ci/.github/workflows/go.yml@main"}}}
}

test_bespoke if {
	ids(ci.deny) == {"golden-ci"} with input as {"jobs": {"test": {"runs-on": "ubuntu-latest", "steps": [{"uses": "actions/checkout@v4"}]}}}
}
