// Command driver checks Keyward's transparency log against Go's reference implementation,
// golang.org/x/mod/sumdb/{note,tlog} (Debian's golang-golang-x-mod-dev, built in GOPATH mode).
//
//	driver check-log -url URL -vkey VKEY [-samples K] [-save FILE] [-old FILE]
//	    Fetches URL/checkpoint, verifies the note with VKEY, authenticates hash tiles with
//	    tlog.TileHashReader, proves and checks inclusion of K random entries (ProveRecord /
//	    CheckRecord) against the entry bundles, and, with -old, consistency from a checkpoint
//	    saved earlier with -save (ProveTree / CheckTree). Go's tile paths carry the height
//	    (tile/8/L/NNN, tile/8/data/NNN); they are mapped to C2SP's tile/L/NNN, tile/entries/NNN.
//	driver emit -n N
//	    Prints JSON with a Go-signed checkpoint of a tree of N records, inclusion and consistency
//	    proofs and some hash tiles, for the C++ tests to verify.
//	driver sign -skey FILE -vkey VKEY
//	    Loads a Keyward signer key file with note.NewSigner, signs a note and opens it with VKEY.
//
// Exit status 0 and a final "OK ..." line on success; 1 with a message on failure.
package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "driver: "+format+"\n", args...)
	os.Exit(1)
}

var client = &http.Client{Timeout: 20 * time.Second}

func get(url string) ([]byte, error) {
	resp, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: HTTP %d: %s", url, resp.StatusCode, body)
	}
	return body, nil
}

// c2spPath maps Go's tile path (tile/8/L/N or tile/8/data/N) to C2SP tlog-tiles.
func c2spPath(t tlog.Tile) string {
	p := t.Path()
	p = strings.TrimPrefix(p, "tile/8/")
	if strings.HasPrefix(p, "data/") {
		p = "entries/" + strings.TrimPrefix(p, "data/")
	}
	return "tile/" + p
}

type httpTiles struct{ base string }

func (h httpTiles) Height() int { return 8 }
func (h httpTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		b, err := get(h.base + "/" + c2spPath(t))
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}
func (h httpTiles) SaveTiles([]tlog.Tile, [][]byte) {}

// parseCheckpoint: origin, size, base64 root (C2SP tlog-checkpoint).
func parseCheckpoint(text string) (string, tlog.Tree, error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 {
		return "", tlog.Tree{}, errors.New("checkpoint has fewer than three lines")
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 {
		return "", tlog.Tree{}, fmt.Errorf("bad tree size %q", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return "", tlog.Tree{}, fmt.Errorf("bad root %q", lines[2])
	}
	var h tlog.Hash
	copy(h[:], root)
	return lines[0], tlog.Tree{N: n, Hash: h}, nil
}

func openCheckpoint(msg []byte, vkey string) (tlog.Tree, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return tlog.Tree{}, err
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return tlog.Tree{}, err
	}
	origin, tree, err := parseCheckpoint(n.Text)
	if err != nil {
		return tlog.Tree{}, err
	}
	if origin != v.Name() {
		return tlog.Tree{}, fmt.Errorf("origin %q is not the key name %q", origin, v.Name())
	}
	return tree, nil
}

func entryAt(base string, tree tlog.Tree, n int64) ([]byte, error) {
	t := tlog.Tile{H: 8, L: -1, N: n / 256, W: 256}
	if rest := tree.N - t.N*256; rest < 256 {
		t.W = int(rest)
	}
	data, err := get(base + "/" + c2spPath(t))
	if err != nil {
		return nil, err
	}
	for i := int64(0); ; i++ {
		if len(data) < 2 {
			return nil, fmt.Errorf("entry bundle %s too short", c2spPath(t))
		}
		l := int(binary.BigEndian.Uint16(data))
		if len(data) < 2+l {
			return nil, fmt.Errorf("entry bundle %s truncated", c2spPath(t))
		}
		if t.N*256+i == n {
			return data[2 : 2+l], nil
		}
		data = data[2+l:]
	}
}

func checkLog(args []string) {
	fs := flag.NewFlagSet("check-log", flag.ExitOnError)
	url := fs.String("url", "", "log base URL")
	vkey := fs.String("vkey", "", "log verifier key")
	samples := fs.Int("samples", 20, "random entries to prove")
	save := fs.String("save", "", "save the checkpoint note to this file")
	old := fs.String("old", "", "check consistency from the checkpoint note in this file")
	fs.Parse(args)
	base := strings.TrimSuffix(*url, "/")
	msg, err := get(base + "/checkpoint")
	if err != nil {
		fail("%v", err)
	}
	tree, err := openCheckpoint(msg, *vkey)
	if err != nil {
		fail("checkpoint: %v", err)
	}
	hr := tlog.TileHashReader(tree, httpTiles{base})
	th, err := tlog.TreeHash(tree.N, hr)
	if err != nil || th != tree.Hash {
		fail("tree hash from tiles: %v (%v vs %v)", err, th, tree.Hash)
	}
	for i := 0; i < *samples && tree.N > 0; i++ {
		n := mrand.Int63n(tree.N)
		if i == 0 {
			n = tree.N - 1
		}
		p, err := tlog.ProveRecord(tree.N, n, hr)
		if err != nil {
			fail("ProveRecord(%d, %d): %v", tree.N, n, err)
		}
		e, err := entryAt(base, tree, n)
		if err != nil {
			fail("%v", err)
		}
		if err := tlog.CheckRecord(p, tree.N, tree.Hash, n, tlog.RecordHash(e)); err != nil {
			fail("CheckRecord(%d, %d): %v", tree.N, n, err)
		}
	}
	checked := "none"
	if *old != "" {
		oldMsg, err := os.ReadFile(*old)
		if err != nil {
			fail("%v", err)
		}
		oldTree, err := openCheckpoint(oldMsg, *vkey)
		if err != nil {
			fail("old checkpoint: %v", err)
		}
		p, err := tlog.ProveTree(tree.N, oldTree.N, hr)
		if err != nil {
			fail("ProveTree(%d, %d): %v", tree.N, oldTree.N, err)
		}
		if err := tlog.CheckTree(p, tree.N, tree.Hash, oldTree.N, oldTree.Hash); err != nil {
			fail("CheckTree(%d, %d): %v", tree.N, oldTree.N, err)
		}
		checked = strconv.FormatInt(oldTree.N, 10)
	}
	if *save != "" {
		if err := os.WriteFile(*save, msg, 0o644); err != nil {
			fail("%v", err)
		}
	}
	fmt.Printf("OK size=%d samples=%d consistent_from=%s\n", tree.N, *samples, checked)
}

type memHashes []tlog.Hash

func (m memHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x >= int64(len(m)) {
			return nil, fmt.Errorf("index %d not stored", x)
		}
		out[i] = m[x]
	}
	return out, nil
}

func b64(h []tlog.Hash) []string {
	out := make([]string, len(h))
	for i := range h {
		out[i] = base64.StdEncoding.EncodeToString(h[i][:])
	}
	return out
}

func emit(args []string) {
	fs := flag.NewFlagSet("emit", flag.ExitOnError)
	count := fs.Int64("n", 1000, "records")
	fs.Parse(args)
	skey, vkey, err := note.GenerateKey(rand.Reader, "go.example/log")
	if err != nil {
		fail("%v", err)
	}
	var store memHashes
	records := make([]string, *count)
	for i := int64(0); i < *count; i++ {
		records[i] = fmt.Sprintf("go record %d\n", i)
		hs, err := tlog.StoredHashes(i, []byte(records[i]), store)
		if err != nil {
			fail("%v", err)
		}
		store = append(store, hs...)
	}
	root, err := tlog.TreeHash(*count, store)
	if err != nil {
		fail("%v", err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		fail("%v", err)
	}
	text := fmt.Sprintf("go.example/log\n%d\n%s\n", *count, base64.StdEncoding.EncodeToString(root[:]))
	msg, err := note.Sign(&note.Note{Text: text}, signer)
	if err != nil {
		fail("%v", err)
	}
	type incl struct {
		Index int64    `json:"index"`
		Proof []string `json:"proof"`
	}
	type cons struct {
		Old     int64    `json:"old"`
		OldRoot string   `json:"old_root"`
		Proof   []string `json:"proof"`
	}
	type tile struct {
		Path string `json:"path"`
		Data string `json:"data"`
	}
	out := struct {
		Vkey        string   `json:"vkey"`
		Skey        string   `json:"skey"`
		Note        string   `json:"note"`
		Size        int64    `json:"size"`
		Root        string   `json:"root"`
		Records     []string `json:"records"`
		Inclusion   []incl   `json:"inclusion"`
		Consistency []cons   `json:"consistency"`
		Tiles       []tile   `json:"tiles"`
	}{Vkey: vkey, Skey: skey, Note: string(msg), Size: *count, Root: base64.StdEncoding.EncodeToString(root[:]), Records: records}
	for _, n := range []int64{0, 1, *count / 3, *count / 2, *count - 2, *count - 1} {
		if n < 0 || n >= *count {
			continue
		}
		p, err := tlog.ProveRecord(*count, n, store)
		if err != nil {
			fail("%v", err)
		}
		out.Inclusion = append(out.Inclusion, incl{n, b64(p)})
	}
	for _, o := range []int64{1, 2, 7, *count / 2, *count - 1, *count} {
		if o < 1 || o > *count {
			continue
		}
		p, err := tlog.ProveTree(*count, o, store)
		if err != nil {
			fail("%v", err)
		}
		oh, _ := tlog.TreeHash(o, store)
		out.Consistency = append(out.Consistency, cons{o, base64.StdEncoding.EncodeToString(oh[:]), b64(p)})
	}
	for _, t := range tlog.NewTiles(8, 0, *count) {
		data, err := tlog.ReadTileData(t, store)
		if err != nil {
			fail("%v", err)
		}
		out.Tiles = append(out.Tiles, tile{c2spPath(t), base64.StdEncoding.EncodeToString(data)})
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		fail("%v", err)
	}
}

func sign(args []string) {
	fs := flag.NewFlagSet("sign", flag.ExitOnError)
	skeyFile := fs.String("skey", "", "Keyward signer key file")
	vkey := fs.String("vkey", "", "its verifier key")
	fs.Parse(args)
	skey, err := os.ReadFile(*skeyFile)
	if err != nil {
		fail("%v", err)
	}
	signer, err := note.NewSigner(strings.TrimSpace(string(skey)))
	if err != nil {
		fail("note.NewSigner: %v", err)
	}
	msg, err := note.Sign(&note.Note{Text: "signed by go with a keyward key\n"}, signer)
	if err != nil {
		fail("%v", err)
	}
	v, err := note.NewVerifier(*vkey)
	if err != nil {
		fail("note.NewVerifier: %v", err)
	}
	if _, err := note.Open(msg, note.VerifierList(v)); err != nil {
		fail("note.Open: %v", err)
	}
	fmt.Printf("OK name=%s\n", signer.Name())
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: driver check-log|emit|sign ...")
	}
	switch os.Args[1] {
	case "check-log":
		checkLog(os.Args[2:])
	case "emit":
		emit(os.Args[2:])
	case "sign":
		sign(os.Args[2:])
	default:
		fail("unknown command %q", os.Args[1])
	}
}
