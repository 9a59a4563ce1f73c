package pii

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strings"
)

// MinKeyBytes is the shortest hash key accepted: HMAC-SHA256 is only as strong as its key,
// and RFC 2104 advises a key at least as long as the hash output (32 bytes).
const MinKeyBytes = 32

// KeySource says where the hash key is read from: an environment variable or a file. The
// key itself never appears in a config.
type KeySource struct {
	Env  string // name of an environment variable
	File string // path of a file holding the key
}

// envName is what an environment variable name conventionally looks like. Names that do
// not look like one, and names or paths that look like key material (see looksLikeKey), are
// withheld from error messages: a user who wrote the key itself into key_env or key_file
// must not find it echoed in a log.
var envName = regexp.MustCompile(`^[A-Z_][A-Z0-9_]{0,63}$`)

// looksLikeKey reports a long run of hex or base64 characters without the separators
// that names and paths have: what `openssl rand -hex 32` or `-base64 32` print.
func looksLikeKey(s string) bool {
	if len(s) < 32 || strings.ContainsAny(s, "_.- ") {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '+' || c == '/' || c == '=') {
			return false
		}
	}
	return true
}

// LoadKey reads the key. Leading and trailing ASCII whitespace is removed (a file written
// with `echo` ends in a newline; the same key from an environment variable must hash the
// same). It fails when neither or both sources are given, when the variable is unset or
// the file unreadable, and when the key is shorter than MinKeyBytes. Error messages name
// the variable or file, never the key, nor its length.
func LoadKey(src KeySource, lookupEnv func(string) (string, bool), readFile func(string) ([]byte, error)) ([]byte, error) {
	switch {
	case src.Env != "" && src.File != "":
		return nil, errors.New("set key_env or key_file, not both")
	case src.Env == "" && src.File == "":
		return nil, errors.New("a hash policy needs a key: set key_env (the name of an environment variable holding the key) or key_file (a file holding it); there is no default key")
	}
	var key []byte
	var where string
	if src.Env != "" {
		where = "environment variable " + src.Env
		if !envName.MatchString(src.Env) || looksLikeKey(src.Env) {
			where = "the environment variable named in key_env (name withheld: it does not look like an environment variable name; key_env must name the variable, not hold the key)"
		}
		v, ok := lookupEnv(src.Env)
		if !ok {
			return nil, fmt.Errorf("hash key: %s is not set; there is no default key", where)
		}
		key = []byte(v)
	} else {
		where = fmt.Sprintf("key_file %q", src.File)
		if looksLikeKey(src.File) {
			where = "the file named in key_file (path withheld: it looks like key material; key_file must name a file, not hold the key)"
		}
		b, err := readFile(src.File)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("hash key: %s does not exist; there is no default key", where)
		case errors.Is(err, fs.ErrPermission):
			return nil, fmt.Errorf("hash key: %s is not readable by this process (permission denied)", where)
		case err != nil:
			// The OS error is not wrapped: its text is ours to control.
			return nil, fmt.Errorf("hash key: %s cannot be read", where)
		}
		key = b
	}
	key = bytes.TrimSpace(key)
	if len(key) == 0 {
		return nil, fmt.Errorf("hash key: %s is empty; there is no default key", where)
	}
	if len(key) < MinKeyBytes {
		return nil, fmt.Errorf("hash key: %s is shorter than %d bytes; generate one with `openssl rand -hex 32`", where, MinKeyBytes)
	}
	return key, nil
}

// OSKeySource reads keys from the process environment and the file system.
func OSKeySource(src KeySource) ([]byte, error) {
	return LoadKey(src, os.LookupEnv, os.ReadFile)
}
