package system

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// NamesFile is the file of a data directory where scenario runs record the
// ids their names stood for, so that "o1" or "john", as the demo prints
// them, can name an order or a customer afterwards.
const NamesFile = "names.json"

// Name is what a scenario run called one thing it created.
type Name struct {
	Name     string    `json:"name"`
	Kind     Kind      `json:"kind"`
	ID       string    `json:"id"`
	Scenario string    `json:"scenario"`
	At       time.Time `json:"at"`
}

// RecordNames adds names to the names file of dataDir.
func RecordNames(dataDir string, names []Name) error {
	all, err := readNames(dataDir)
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(append(all, names...), "", "  ")
	if err != nil {
		return fmt.Errorf("record names: %w", err)
	}
	tmp, err := os.CreateTemp(dataDir, NamesFile+".*")
	if err != nil {
		return fmt.Errorf("record names: %w", err)
	}
	_, err = tmp.Write(append(data, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dataDir, NamesFile))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("record names: %w", err)
	}
	return nil
}

// readNames returns the names recorded in dataDir, oldest first; none when
// nothing was recorded.
func readNames(dataDir string) ([]Name, error) {
	data, err := os.ReadFile(filepath.Join(dataDir, NamesFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read names: %w", err)
	}
	var names []Name
	if err := json.Unmarshal(data, &names); err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(dataDir, NamesFile), err)
	}
	return names, nil
}
