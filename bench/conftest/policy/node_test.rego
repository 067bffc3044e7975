package paved.node_test

import data.paved.node

test_supported if {
	every e in [">=20", "20.x", "^22.0.0", "22", ">=20 <23"] {
		count(node.deny) == 0 with input as {"engines": {"node": e}}
	}
}

test_unsupported if {
	every e in [">=18", "14.x", "^16.0.0", ">=18 <23", "lts"] {
		count(node.deny) == 1 with input as {"engines": {"node": e}}
	}
}

test_no_engines if {
	count(node.deny) == 0 with input as {"name": "x"}
	count(node.deny) == 0 with input as {"engines": {"node": ""}}
}
