package pii

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func noEnv(string) (string, bool) { return "", false }

func env(vals map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vals[k]; return v, ok }
}

func TestLoadKeyFromEnvAndFileAgree(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key")
	require.NoError(t, os.WriteFile(path, []byte(testKey+"\n"), 0o600))
	fromFile, err := LoadKey(KeySource{File: path}, noEnv, os.ReadFile)
	require.NoError(t, err)
	fromEnv, err := LoadKey(KeySource{Env: "LEDGERFLOW_PII_KEY"}, env(map[string]string{"LEDGERFLOW_PII_KEY": " " + testKey}), os.ReadFile)
	require.NoError(t, err)
	assert.Equal(t, testKey, string(fromFile), "the newline echo writes is not part of the key")
	assert.Equal(t, fromFile, fromEnv)
}

func TestLoadKeyRefusesMissingEmptyAndShortKeys(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short")
	require.NoError(t, os.WriteFile(short, []byte("0123456789abcdef0123456789abcde\n"), 0o600)) // 31 bytes
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, []byte(" \n"), 0o600))
	e := env(map[string]string{"EMPTY": "", "SHORT": "0123456789abcdef0123456789abcde", "OK": testKey})
	cases := map[string]struct {
		src  KeySource
		want string
	}{
		"nothing":       {KeySource{}, "there is no default key"},
		"both":          {KeySource{Env: "OK", File: short}, "not both"},
		"unset":         {KeySource{Env: "LEDGERFLOW_PII_KEY"}, "environment variable LEDGERFLOW_PII_KEY is not set"},
		"empty env":     {KeySource{Env: "EMPTY"}, "environment variable EMPTY is empty"},
		"short env":     {KeySource{Env: "SHORT"}, "environment variable SHORT is shorter than 32 bytes"},
		"missing file":  {KeySource{File: filepath.Join(dir, "nope")}, "does not exist"},
		"empty file":    {KeySource{File: empty}, "is empty"},
		"short file":    {KeySource{File: short}, "is shorter than 32 bytes"},
		"a directory":   {KeySource{File: dir}, "cannot be read"},
		"lower-case ok": {KeySource{Env: "OK"}, ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			k, err := LoadKey(c.src, e, os.ReadFile)
			if c.want == "" {
				require.NoError(t, err)
				assert.Equal(t, testKey, string(k))
				return
			}
			require.Error(t, err)
			assert.Nil(t, k)
			assert.Contains(t, err.Error(), c.want)
			assert.NotContains(t, err.Error(), "0123456789abcdef0123456789abcde", "a short key is still a key")
		})
	}
}

func TestLoadKeyPermissionDenied(t *testing.T) {
	denied := func(string) ([]byte, error) {
		return nil, &fs.PathError{Op: "open", Path: "/run/secrets/k", Err: fs.ErrPermission}
	}
	_, err := LoadKey(KeySource{File: "/run/secrets/k"}, noEnv, denied)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `key_file "/run/secrets/k" is not readable by this process`)
	if os.Geteuid() != 0 { // root reads anything: only then the real file system can deny
		p := filepath.Join(t.TempDir(), "k")
		require.NoError(t, os.WriteFile(p, []byte(testKey), 0o000))
		_, err := OSKeySource(KeySource{File: p})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "permission denied")
	}
}

// A user who writes the key itself where its variable name or path belongs must not find it
// in the error (which is logged).
func TestLoadKeyNeverEchoesAKeyWrittenIntoTheConfig(t *testing.T) {
	for _, k := range []string{
		"3f9a0c1be2d4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0", // openssl rand -hex 32
		"3F9A0C1BE2D4F5A6B7C8D9E0F1A2B3C4D5E6F7A8B9C0D1E2F3A4B5C6D7E8F9A0",
		"ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789", // upper-case, starts with a letter
		"q8Zk2v+9xY/Ae7Lm0NpR3sTu4Wv5Xy6Za1Bc2De3Fg4=",                     // openssl rand -base64 32
		"my secret pass phrase that is long enough!",
	} {
		_, err := LoadKey(KeySource{Env: k}, noEnv, os.ReadFile)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), k)
		assert.Contains(t, err.Error(), "withheld")
		_, err = LoadKey(KeySource{File: k}, noEnv, func(string) ([]byte, error) { return nil, fs.ErrNotExist })
		require.Error(t, err)
		if !strings.ContainsAny(k, " !") { // a path with spaces is a path
			assert.NotContains(t, err.Error(), k)
		}
	}
	// Real names and paths are shown: the operator needs them.
	_, err := LoadKey(KeySource{File: "/run/secrets/ledgerflow_pii_key"}, noEnv, func(string) ([]byte, error) { return nil, errors.New("boom /run/secrets") })
	assert.Contains(t, err.Error(), `key_file "/run/secrets/ledgerflow_pii_key" cannot be read`)
	assert.NotContains(t, err.Error(), "boom", "the OS error text is not ours to pass on")
}
