package delta

import (
	"errors"
	"fmt"
)

// Conflict errors: Commit returns one of these (wrapped, naming the winning version) when a
// concurrent commit invalidates what the transaction read. Nothing was committed; the caller
// must start over from a fresh snapshot.
var (
	// ErrConflict is wrapped by every conflict error below.
	ErrConflict = errors.New("delta: concurrent commit conflict")
	// ErrProtocolChanged: a concurrent commit changed the protocol.
	ErrProtocolChanged = fmt.Errorf("%w: protocol changed", ErrConflict)
	// ErrMetadataChanged: a concurrent commit changed the metadata (schema, properties).
	ErrMetadataChanged = fmt.Errorf("%w: metadata changed", ErrConflict)
	// ErrConcurrentTransaction: a concurrent commit set a txn for an appId this transaction
	// read or sets. Exactly-once writers must re-read the table's txn version for that appId
	// and skip what is already committed.
	ErrConcurrentTransaction = fmt.Errorf("%w: concurrent transaction for the same application id", ErrConflict)
	// ErrConcurrentDeleteRead: a concurrent commit removed a file this transaction read.
	ErrConcurrentDeleteRead = fmt.Errorf("%w: a file this transaction read was removed", ErrConflict)
	// ErrConcurrentDeleteDelete: a concurrent commit removed a file this transaction removes.
	ErrConcurrentDeleteDelete = fmt.Errorf("%w: a file this transaction removes was already removed", ErrConflict)
	// ErrConcurrentAppend: a concurrent commit added data that this transaction should have
	// read (it read the whole table or changes the metadata).
	ErrConcurrentAppend = fmt.Errorf("%w: concurrent data was added", ErrConflict)
)

// checkConflict applies the WriteSerializable checks of Delta's ConflictChecker against one
// winning commit. Blind appends by others never conflict with blind appends of ours.
func (t *Transaction) checkConflict(version int64, winner []Action) error {
	blindWinner := false
	for _, a := range winner {
		if a.CommitInfo != nil {
			b, _ := a.CommitInfo["isBlindAppend"].(bool)
			blindWinner = b
		}
	}
	removing := map[string]bool{}
	for _, r := range t.removes {
		if p, err := DecodePath(r.Path); err == nil {
			removing[p] = true
		}
	}
	for _, a := range winner {
		switch {
		case a.Protocol != nil:
			return fmt.Errorf("%w (version %d)", ErrProtocolChanged, version)
		case a.MetaData != nil:
			return fmt.Errorf("%w (version %d)", ErrMetadataChanged, version)
		case a.Txn != nil && t.readAppIDs[a.Txn.AppID]:
			return fmt.Errorf("%w: appId %q set to version %d by table version %d", ErrConcurrentTransaction, a.Txn.AppID, a.Txn.Version, version)
		case a.Remove != nil:
			p, _ := DecodePath(a.Remove.Path)
			if removing[p] {
				return fmt.Errorf("%w: %s (version %d)", ErrConcurrentDeleteDelete, a.Remove.Path, version)
			}
			if a.Remove.DataChange && (t.readAll || t.readFiles[p]) {
				return fmt.Errorf("%w: %s (version %d)", ErrConcurrentDeleteRead, a.Remove.Path, version)
			}
		case a.Add != nil && a.Add.DataChange && (t.metadata != nil || t.readAll && !blindWinner):
			return fmt.Errorf("%w: %s (version %d)", ErrConcurrentAppend, a.Add.Path, version)
		}
	}
	return nil
}
