// Package catalog owns the software catalog's model of the fleet: Backstage
// entity references, the parsing and validation of Backstage descriptors
// (catalog-info.yaml), the inference of an entity for a repository that has
// no descriptor (owner from CODEOWNERS, type from the tree), and the
// fleet-wide resolution that turns the entities of every repository into one
// catalog: duplicate names settled, relations in both directions, unknown
// references reported and the org tree (Groups) built without cycles.
//
// Everything here is a pure function of its input. The scanner reads files
// and the store persists the results; neither knows Backstage's rules, so
// they live here once.
//
// paved reads descriptors as Backstage does, with one deliberate difference:
// Backstage refuses an entity whose spec fails validation, while paved keeps
// any entity it can identify (kind and metadata.name) and reports each
// problem with its file and line. The service then stays in the catalog with
// its problems on its own page, where its owner looks, instead of vanishing.
package catalog
