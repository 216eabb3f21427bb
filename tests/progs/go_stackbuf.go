// go_stackbuf.go — Go's crypto/tls read into buffers on the goroutine stack while the stack grows
// (a test program for the Go hooks). An in-process TLS client and server over net.Pipe: the
// client sends one HTTP/1.1 chat request and reads the response 16 bytes at a time into an array
// local to a recursive function, at a depth that changes per read, so Read's own callees grow
// (move) the stack between Read's entry and its return. Prints the response body.
// With a third argument "nested", the chat runs over TLS inside TLS (as through an HTTPS proxy):
// each inner Read calls the outer connection's Read on the same goroutine.
//
//	go_stackbuf REQFILE RESPFILE [nested]
package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"
)

func serve(c *tls.Conn, resp []byte) {
	r := bufio.NewReader(c)
	req, err := http.ReadRequest(r)
	if err != nil {
		panic(err)
	}
	io.Copy(io.Discard, req.Body)
	fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(resp))
	for len(resp) > 0 { // one TLS record per 16 bytes: every client Read fetches a record
		k := 16
		if k > len(resp) {
			k = len(resp)
		}
		c.Write(resp[:k])
		resp = resp[k:]
	}
}

var out []byte

// readAt recurses depth times (each frame ~1 KiB of stack), then reads into a local array.
//
//go:noinline
func readAt(c *tls.Conn, depth int) (int, error) {
	var pad [200]byte
	if depth > 0 {
		pad[depth%200] = byte(depth)
		n, err := readAt(c, depth-1)
		return n + int(pad[depth%200]) - int(byte(depth)), err
	}
	var buf [16]byte
	n, err := c.Read(buf[:])
	out = append(out, buf[:n]...)
	return n, err
}

func main() {
	reqBody, _ := os.ReadFile(os.Args[1])
	respBody, _ := os.ReadFile(os.Args[2])
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"api.openai.com"}}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	a, b := net.Pipe()
	var ca, sb net.Conn = a, b
	scfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	if len(os.Args) > 3 && os.Args[3] == "nested" {
		ca = tls.Client(a, &tls.Config{InsecureSkipVerify: true})
		sb = tls.Server(b, scfg)
	}
	srv := tls.Server(sb, scfg)
	go serve(srv, respBody)
	cli := tls.Client(ca, &tls.Config{InsecureSkipVerify: true})
	fmt.Fprintf(cli, "POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(reqBody), reqBody)
	for i := 0; ; i++ {
		if i%4 == 0 {
			runtime.GC() // shrinks the stack again, so that later Reads grow it
		}
		_, err := readAt(cli, (i*7)%120)
		if err != nil || strings.HasSuffix(string(out), string(respBody)) {
			break
		}
	}
	cli.Close()
	i := strings.Index(string(out), "\r\n\r\n")
	os.Stdout.Write(out[i+4:])
}
