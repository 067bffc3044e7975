package store

// GateStore stores the deploy gate's decisions, waivers, approvals and the
// audit log.
type GateStore interface{}
