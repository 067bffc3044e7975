package sqlstore

import "context"

// LevelSnapshotsOn returns each service's level on one day.
func (s *Store) LevelSnapshotsOn(ctx context.Context, day string) (map[string]string, error) {
	rows, err := s.read.QueryContext(ctx, s.rebind(`SELECT service, level FROM level_snapshots WHERE day = ?`), day)
	if err != nil {
		return nil, s.err(err, "level snapshots of %s", day)
	}
	out := map[string]string{}
	err = eachRow(rows, func() error {
		var svc, level string
		if err := rows.Scan(&svc, &level); err != nil {
			return err
		}
		out[svc] = level
		return nil
	})
	return out, s.err(err, "level snapshots of %s", day)
}
