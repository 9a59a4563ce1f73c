package debezium

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func mustNew(t testing.TB, o Options) *Unwrapper {
	t.Helper()
	u, err := New(o)
	require.NoError(t, err)
	return u
}

func requireReason(t testing.TB, err error, r Reason) *Error {
	t.Helper()
	require.Error(t, err)
	var e *Error
	require.True(t, errors.As(err, &e), "error %v is not an *Error", err)
	require.Equal(t, r, e.Reason, "error: %v", err)
	return e
}

func decodeObj(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(s), &m), "%s", s)
	return m
}
