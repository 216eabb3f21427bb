// go_llm.go — a Go LLM client for the integration tests (standard library only): net/http over
// TLS, HTTP/2 by ALPN unless GODEBUG=http2client=0. The CA comes from SSL_CERT_FILE.
//
//	go_llm chat URL BODYFILE [Name: value]...     POST, print the body read whole
//	go_llm stream URL BODYFILE [Name: value]...   POST, print the SSE body line by line as read
//	go_llm concurrent BASE N DIR                  GET BASE/other, then N streamed chats at once
//	                                              on that connection; DIR/i.req, DIR/i.resp
//	go_llm loop URL N                             N keep-alive GETs of a non-LLM URL
//	go_llm bench other|llm BASE N                 N keep-alive GET /other or chat POSTs after a
//	                                              first one; prints the loop's wall and CPU seconds
//
// The protocol and status go to stderr, the body to stdout.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func die(err error) {
	fmt.Fprintln(os.Stderr, "error:", err)
	os.Exit(1)
}

func post(c *http.Client, url string, body []byte, hdrs []string) *http.Response {
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		die(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer sk-go-test-secret")
	for _, h := range hdrs {
		if i := strings.Index(h, ":"); i > 0 {
			req.Header.Set(h[:i], strings.TrimSpace(h[i+1:]))
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		die(err)
	}
	return resp
}

func readLines(r io.Reader, w io.Writer) {
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadBytes('\n')
		w.Write(line)
		if err == io.EOF {
			return
		}
		if err != nil {
			die(err)
		}
	}
}

func main() {
	if len(os.Args) < 4 {
		die(fmt.Errorf("usage: go_llm chat|stream|concurrent|loop ..."))
	}
	c := &http.Client{}
	switch os.Args[1] {
	case "chat", "stream":
		body, err := os.ReadFile(os.Args[3])
		if err != nil {
			die(err)
		}
		resp := post(c, os.Args[2], body, os.Args[4:])
		if os.Args[1] == "chat" {
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				die(err)
			}
			os.Stdout.Write(b)
		} else {
			readLines(resp.Body, os.Stdout)
		}
		resp.Body.Close()
		fmt.Fprintln(os.Stderr, resp.Proto, resp.StatusCode)
	case "concurrent":
		base, dir := os.Args[2], os.Args[4]
		n, _ := strconv.Atoi(os.Args[3])
		other, err := c.Get(base + "/other")
		if err != nil {
			die(err)
		}
		ob, _ := io.ReadAll(other.Body)
		other.Body.Close()
		fmt.Printf("== other %s %d %q\n", other.Proto, other.StatusCode, ob)
		out := make([]string, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				body := []byte(fmt.Sprintf(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"go question-%02d"}],"stream":true,"stream_options":{"include_usage":true}}`, i))
				os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.req", i)), body, 0o644)
				resp := post(c, base+"/v1/chat/completions", body, []string{"X-Mock-Delay-Ms: 10"})
				var buf bytes.Buffer
				readLines(resp.Body, &buf)
				resp.Body.Close()
				os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.resp", i)), buf.Bytes(), 0o644)
				out[i] = fmt.Sprintf("== %d %s %d %d bytes\n%s", i, resp.Proto, resp.StatusCode, buf.Len(), buf.String())
			}(i)
		}
		wg.Wait()
		for _, s := range out {
			os.Stdout.WriteString(s)
		}
	case "loop":
		n, _ := strconv.Atoi(os.Args[3])
		for i := 0; i < n; i++ {
			resp, err := c.Get(os.Args[2])
			if err != nil {
				die(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if i == 0 || i == n-1 {
				fmt.Printf("%d %s %d %q\n", i, resp.Proto, resp.StatusCode, b)
			}
		}
	case "bench":
		n, _ := strconv.Atoi(os.Args[4])
		body := []byte(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say this is a test"}]}`)
		one := func() {
			var resp *http.Response
			var err error
			if os.Args[2] == "llm" {
				resp = post(c, os.Args[3]+"/v1/chat/completions", body, nil)
			} else if resp, err = c.Get(os.Args[3] + "/other"); err != nil {
				die(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		one() // the handshake and the first request are not timed
		t0, c0 := time.Now(), cpuSeconds()
		for i := 0; i < n; i++ {
			one()
		}
		fmt.Printf("%.6f %.6f\n", time.Since(t0).Seconds(), cpuSeconds()-c0)
	default:
		die(fmt.Errorf("unknown mode %s", os.Args[1]))
	}
}
