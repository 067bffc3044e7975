package sqlstore

import "strings"

// The static SQL of the store, in one place. It is written with ?
// placeholders and rebound per dialect when the Store is made. Every query
// on entities that serves a reader carries the literal "shadowed = FALSE" so
// that both databases match it to the partial indexes declared with the same
// predicate.

// entityColumns are the columns an entity is read from and written to, in
// the order scanEntity and entityArgs use.
const entityColumns = `repository, ref, kind, namespace, name, title, description, type, lifecycle,
	owner, system, tier, language, tags, labels, annotations, spec, field_sources, links,
	location_file, location_line, location_column, inferred`

const entityColumnsE = `e.repository, e.ref, e.kind, e.namespace, e.name, e.title, e.description, e.type, e.lifecycle,
	e.owner, e.system, e.tier, e.language, e.tags, e.labels, e.annotations, e.spec, e.field_sources, e.links,
	e.location_file, e.location_line, e.location_column, e.inferred`

// facetColumns are the columns an entity's facet_counts rows come from,
// in the order scanFacetValues reads them.
const facetColumns = `kind, type, lifecycle, owner, language, tier`

// searchColumns are the columns of entity_search, in the order the scan
// writes them; searchUpdated are those an upsert overwrites.
const searchColumns = `entity_id, search, kind, type, lifecycle, owner, language, tier, facet_combo, shadowed`

var searchUpdated = []string{"search", "kind", "type", "lifecycle", "owner", "language", "tier", "facet_combo", "shadowed"}

const repositoryColumns = `name, path, source, head, default_branch, scanned_at, status, error`

const problemColumns = `repository, entity, location_file, location_line, location_column, code, message`

type statements struct {
	repositoryGet   string
	repositoryHeads string

	entityGet   string
	entityAll   string
	relationsOf string

	tokenByHash  string
	scorecardGet string

	factsOfEntity    string
	pushedFactsOf    string
	pushedFactUpsert string

	relationsAll    string
	ancestorsAll    string
	ancestorsOf     string
	shadowedAll     string
	problemsResolve string

	facetCountsAll    string
	facetCountsOfKind string
	facetCountsPrune  string

	scanRunCreate   string
	scanRunGet      string
	scanRunOutcomes string
	scanRunRecord   string
}

func newStatements(rebind func(string) string) statements {
	return statements{
		repositoryGet:   rebind(`SELECT ` + repositoryColumns + ` FROM repositories WHERE name = ?`),
		repositoryHeads: `SELECT name, head FROM repositories WHERE head <> ''`,
		entityGet: rebind(`SELECT ` + entityColumns + ` FROM entities
			WHERE ref = ? AND shadowed = FALSE ORDER BY repository LIMIT 1`),
		entityAll:   `SELECT ` + entityColumns + ` FROM entities ORDER BY repository, ref`,
		relationsOf: rebind(`SELECT type, target_ref FROM relations WHERE source_ref = ? ORDER BY type, target_ref`),

		tokenByHash:  rebind(`SELECT ` + tokenColumns + ` FROM tokens WHERE hash = ?`),
		scorecardGet: rebind(`SELECT ` + scorecardColumns + ` FROM scorecards WHERE service = ?`),

		factsOfEntity: rebind(`SELECT e.repository, f.document FROM entities e
			LEFT JOIN facts f ON f.repository = e.repository
			WHERE e.ref = ? AND e.shadowed = FALSE ORDER BY e.repository LIMIT 1`),
		pushedFactsOf: rebind(`SELECT namespace, value, source, collected_at FROM pushed_facts WHERE entity = ?`),
		pushedFactUpsert: rebind(`INSERT INTO pushed_facts (entity, namespace, value, source, collected_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (entity, namespace) DO UPDATE SET value = excluded.value,
				source = excluded.source, collected_at = excluded.collected_at`),

		relationsAll:    `SELECT source_ref, type, target_ref FROM relations`,
		ancestorsAll:    `SELECT group_ref, depth, ancestor_ref FROM org_ancestors`,
		ancestorsOf:     rebind(`SELECT ancestor_ref FROM org_ancestors WHERE group_ref = ? ORDER BY depth`),
		shadowedAll:     `SELECT repository, ref FROM entities WHERE shadowed = TRUE`,
		problemsResolve: `SELECT id, ` + problemColumns + ` FROM problems WHERE origin = 'resolve'`,

		facetCountsAll:    `SELECT field, value, entities FROM facet_counts`,
		facetCountsOfKind: rebind(`SELECT field, value, entities FROM facet_counts WHERE kind = ?`),
		facetCountsPrune:  `DELETE FROM facet_counts WHERE entities = 0`,

		scanRunCreate:   rebind(`INSERT INTO scan_runs (total, started_at) VALUES (?, ?) RETURNING id`),
		scanRunGet:      rebind(`SELECT id, total, started_at FROM scan_runs WHERE id = ?`),
		scanRunOutcomes: rebind(`SELECT outcome, COUNT(*) FROM scan_run_repositories WHERE run_id = ? GROUP BY outcome`),
		scanRunRecord: rebind(`INSERT INTO scan_run_repositories (run_id, repository, outcome) VALUES (?, ?, ?)
			ON CONFLICT (run_id, repository) DO NOTHING`),
	}
}

// entityUpdated are the columns an entity upsert overwrites: all but the
// key and shadowed.
var entityUpdated = []string{"kind", "namespace", "name", "title", "description", "type", "lifecycle",
	"owner", "system", "tier", "language", "tags", "labels", "annotations", "spec", "field_sources", "links",
	"location_file", "location_line", "location_column", "inferred"}

// setExcluded returns "a = excluded.a, b = excluded.b, …".
func setExcluded(cols []string) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c + " = excluded." + c)
	}
	return b.String()
}

// changed returns a condition true when any of cols differs between the
// stored row of table and the excluded one. The columns are NOT NULL, so
// <> is exact.
func changed(table string, cols []string) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString(table + "." + c + " <> excluded." + c)
	}
	return b.String()
}

// bulkStatement is a statement over many rows: an INSERT of many VALUES
// tuples, or a DELETE or UPDATE of the rows whose key is IN a list of them.
type bulkStatement struct {
	head  string // "INSERT INTO t (a, b) VALUES "
	tuple string // "(?, ?)"
	tail  string // " ON CONFLICT …"
}

// sql returns the statement for rows rows, with ? placeholders.
func (b bulkStatement) sql(rows int) string {
	var s strings.Builder
	s.WriteString(b.head)
	for i := range rows {
		if i > 0 {
			s.WriteString(", ")
		}
		s.WriteString(b.tuple)
	}
	s.WriteString(b.tail)
	return s.String()
}

// width is the number of placeholders in a row.
func (b bulkStatement) width() int { return strings.Count(b.tuple, "?") }

var (
	repositoryUpsertOK = bulkStatement{
		head:  `INSERT INTO repositories (` + repositoryColumns + `) VALUES `,
		tuple: `(?, ?, ?, ?, ?, ?, ?, ?)`,
		tail: ` ON CONFLICT (name) DO UPDATE SET path = excluded.path, source = excluded.source,
			head = excluded.head, default_branch = excluded.default_branch,
			scanned_at = excluded.scanned_at, status = excluded.status, error = excluded.error`,
	}
	// A failed scan inserts the repository if it is new (with no head:
	// there is no good scan yet) but otherwise only records the failure.
	repositoryUpsertBad = bulkStatement{
		head:  `INSERT INTO repositories (` + repositoryColumns + `) VALUES `,
		tuple: `(?, ?, ?, '', ?, ?, ?, ?)`,
		tail: ` ON CONFLICT (name) DO UPDATE SET scanned_at = excluded.scanned_at,
			status = excluded.status, error = excluded.error`,
	}
	// The entity upsert keeps shadowed: only catalog resolution decides
	// it, and a rescan must not briefly expose a duplicate it had hidden.
	// Its WHERE skips rows that did not change, sparing a rescan the
	// rewriting of the row and its index entries; RETURNING names the rows
	// that were written, whose search text is then written too.
	entityUpsert = bulkStatement{
		head:  `INSERT INTO entities (` + entityColumns + `) VALUES `,
		tuple: `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tail: ` ON CONFLICT (repository, ref) DO UPDATE SET ` + setExcluded(entityUpdated) + `
			WHERE ` + changed("entities", entityUpdated) + `
			RETURNING id, repository, ref, shadowed`,
	}
	// The search row carries the entity's facet values and shadowed flag
	// (as the entity upsert returned it), so that facets under a search
	// read this table alone. It is written for every entity row the
	// upsert changed, and rewritten only when one of its columns differs.
	searchUpsert = bulkStatement{
		head:  `INSERT INTO entity_search (` + searchColumns + `) VALUES `,
		tuple: `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tail: ` ON CONFLICT (entity_id) DO UPDATE SET ` + setExcluded(searchUpdated) + `
			WHERE ` + changed("entity_search", searchUpdated),
	}
	// A search row names its combination of facet values by id
	// (facetcombo.go); new combinations are added first.
	facetComboInsert = bulkStatement{
		head:  `INSERT INTO facet_combos (` + facetColumns + `) VALUES `,
		tuple: `(?, ?, ?, ?, ?, CAST(? AS INTEGER))`,
		tail:  ` ON CONFLICT DO NOTHING`,
	}
	facetComboSelect = bulkStatement{
		head:  `SELECT id, ` + facetColumns + ` FROM facet_combos WHERE (` + facetColumns + `) IN (VALUES `,
		tuple: `(?, ?, ?, ?, ?, CAST(? AS INTEGER))`,
		tail:  `)`,
	}
	factsUpsert = bulkStatement{
		head:  `INSERT INTO facts (repository, document, scanned_at) VALUES `,
		tuple: `(?, ?, ?)`,
		tail: ` ON CONFLICT (repository) DO UPDATE SET document = excluded.document, scanned_at = excluded.scanned_at
			WHERE facts.document <> excluded.document`,
	}
	// Catalog resolution writes its differences with these.
	relationInsert = bulkStatement{
		head:  `INSERT INTO relations (source_ref, type, target_ref) VALUES `,
		tuple: `(?, ?, ?)`,
		tail:  ` ON CONFLICT DO NOTHING`,
	}
	relationDelete = bulkStatement{
		head:  `DELETE FROM relations WHERE (source_ref, type, target_ref) IN (VALUES `,
		tuple: `(?, ?, ?)`,
		tail:  `)`,
	}
	ancestorUpsert = bulkStatement{
		head:  `INSERT INTO org_ancestors (group_ref, depth, ancestor_ref) VALUES `,
		tuple: `(?, ?, ?)`,
		tail:  ` ON CONFLICT (group_ref, depth) DO UPDATE SET ancestor_ref = excluded.ancestor_ref`,
	}
	// The cast tells PostgreSQL the type of a VALUES column, which it does
	// not infer from the IN it is compared with.
	ancestorDelete = bulkStatement{
		head:  `DELETE FROM org_ancestors WHERE (group_ref, depth) IN (VALUES `,
		tuple: `(?, CAST(? AS INTEGER))`,
		tail:  `)`,
	}
	// Shadowing returns the facet values of the rows whose flag it
	// changed, which leave or join facet_counts. The flag is tested in the
	// statement, not only in the set read before it, so that the rows
	// returned are exactly those changed even when a scan wrote them in
	// between.
	shadow = bulkStatement{
		head:  `UPDATE entities SET shadowed = TRUE WHERE shadowed = FALSE AND (repository, ref) IN (VALUES `,
		tuple: `(?, ?)`,
		tail:  `) RETURNING id, ` + facetColumns,
	}
	unshadow = bulkStatement{
		head:  `UPDATE entities SET shadowed = FALSE WHERE shadowed = TRUE AND (repository, ref) IN (VALUES `,
		tuple: `(?, ?)`,
		tail:  `) RETURNING id, ` + facetColumns,
	}
	// The search rows of the entities shadowing changed follow their flag.
	searchShadow = bulkStatement{
		head:  `UPDATE entity_search SET shadowed = TRUE WHERE entity_id IN (`,
		tuple: `?`,
		tail:  `)`,
	}
	searchUnshadow = bulkStatement{
		head:  `UPDATE entity_search SET shadowed = FALSE WHERE entity_id IN (`,
		tuple: `?`,
		tail:  `)`,
	}
	facetCountAdd = bulkStatement{
		head:  `INSERT INTO facet_counts (kind, field, value, entities) VALUES `,
		tuple: `(?, ?, ?, ?)`,
		tail:  ` ON CONFLICT (kind, field, value) DO UPDATE SET entities = facet_counts.entities + excluded.entities`,
	}
	problemDelete = bulkStatement{
		head:  `DELETE FROM problems WHERE id IN (`,
		tuple: `?`,
		tail:  `)`,
	}
	entityDelete = bulkStatement{
		head:  `DELETE FROM entities WHERE (repository, ref) IN (VALUES `,
		tuple: `(?, ?)`,
		tail:  `)`,
	}
	problemInsert = bulkStatement{
		head:  `INSERT INTO problems (origin, ` + problemColumns + `) VALUES `,
		tuple: `(?, ?, ?, ?, ?, ?, ?, ?)`,
	}
)

// placeholders returns "?, ?, …", n of them, for an IN list.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// anys returns the values of an IN list as arguments.
func anys[T any](values []T) []any {
	args := make([]any, len(values))
	for i, v := range values {
		args[i] = v
	}
	return args
}
