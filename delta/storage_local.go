package delta

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// LocalStorage is a Storage on the local file system rooted at Root (the table directory).
//
// PutIfAbsent writes a hidden temporary file in the target directory, syncs it and hard-links
// it to the final name: link(2) fails if the name exists, so exactly one of several racing
// writers (threads or processes) wins, and readers never see a partial commit.
type LocalStorage struct {
	Root string
}

// NewLocalStorage returns a LocalStorage rooted at dir.
func NewLocalStorage(dir string) *LocalStorage { return &LocalStorage{Root: dir} }

var _ Storage = (*LocalStorage)(nil)

// full maps a table-relative path to an OS path, refusing paths that escape the root.
func (s *LocalStorage) full(p string) (string, error) {
	clean := path.Clean("/" + p)
	if strings.Contains(p, "\x00") {
		return "", fmt.Errorf("delta: invalid path %q (contains NUL)", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return "", fmt.Errorf("delta: path %q escapes the table root", p)
		}
	}
	return filepath.Join(s.Root, filepath.FromSlash(strings.TrimPrefix(clean, "/"))), nil
}

func mapErr(op, p string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("delta: %s %s: %w", op, p, ErrNotExist)
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("delta: %s %s: %w", op, p, ErrExist)
	}
	return fmt.Errorf("delta: %s %s: %w", op, p, err)
}

// Read implements Storage.
func (s *LocalStorage) Read(ctx context.Context, p string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := s.full(p)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(f)
	if err != nil {
		return nil, mapErr("read", p, err)
	}
	return b, nil
}

type localFile struct {
	*os.File
	size int64
}

func (f localFile) Size() int64 { return f.size }

// Open implements Storage.
func (s *LocalStorage) Open(ctx context.Context, p string) (File, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	full, err := s.full(p)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(full)
	if err != nil {
		return nil, mapErr("open", p, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, mapErr("stat", p, err)
	}
	return localFile{File: f, size: st.Size()}, nil
}

// List implements Storage. Directories are listed too (with size 0), so callers can walk.
func (s *LocalStorage) List(ctx context.Context, dir string) ([]FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	full, err := s.full(dir)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(full)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, mapErr("list", dir, err)
	}
	out := make([]FileInfo, 0, len(ents))
	for _, e := range ents {
		info, err := e.Info()
		if err != nil {
			continue // removed between ReadDir and Info
		}
		fi := FileInfo{Name: e.Name(), ModTime: info.ModTime()}
		if !e.IsDir() {
			fi.Size = info.Size()
		}
		out = append(out, fi)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// writeTemp writes data to a hidden temporary file next to full and syncs it.
func writeTemp(full string, data []byte) (string, error) {
	dir := filepath.Dir(full)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(full)+".tmp-*")
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// PutIfAbsent implements Storage with write-temp-then-link.
func (s *LocalStorage) PutIfAbsent(ctx context.Context, p string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	full, err := s.full(p)
	if err != nil {
		return err
	}
	tmp, err := writeTemp(full, data)
	if err != nil {
		return mapErr("write", p, err)
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, full); err != nil {
		return mapErr("create", p, err)
	}
	return nil
}

// Put implements Storage with write-temp-then-rename.
func (s *LocalStorage) Put(ctx context.Context, p string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	full, err := s.full(p)
	if err != nil {
		return err
	}
	tmp, err := writeTemp(full, data)
	if err != nil {
		return mapErr("write", p, err)
	}
	if err := os.Rename(tmp, full); err != nil {
		os.Remove(tmp)
		return mapErr("write", p, err)
	}
	return nil
}

// Delete implements Storage.
func (s *LocalStorage) Delete(ctx context.Context, p string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	full, err := s.full(p)
	if err != nil {
		return err
	}
	if err := os.Remove(full); err != nil {
		return mapErr("delete", p, err)
	}
	return nil
}
