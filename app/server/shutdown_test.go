package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/mitreden/mitreden/app/apptest"
	"github.com/mitreden/mitreden/app/config"
	"github.com/mitreden/mitreden/app/server"
	"github.com/mitreden/mitreden/app/store/storetest"
)

// On shutdown, connections that wait for a request (keep-alive
// connections after a run of requests, connections that never sent one)
// are closed at once, and a request in a handler finishes with its whole
// answer: Serve returns nil within a second or two, not after fasthttp's
// read timeout.
func TestShutdownClosesIdleConnections(t *testing.T) {
	a, err := server.Build(context.Background(), apptest.Config(storetest.NewDatabase(t, config.SQLite)),
		server.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	// A slow request, as a handler that takes its time would be.
	started := make(chan struct{})
	srv := a.Fiber.Server()
	inner := srv.Handler
	srv.Handler = func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/slow" {
			close(started)
			time.Sleep(time.Second)
			ctx.SetBodyString(strings.Repeat("slow answer ", 10000))
			return
		}
		inner(ctx)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()

	// Keep-alive connections, left idle after a run of requests.
	transport := &http.Transport{MaxIdleConnsPerHost: 10}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}
	done := make(chan struct{})
	for range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 5 {
				resp, err := client.Get("http://" + addr + "/c/wir2")
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	for range 8 {
		<-done
	}
	// Connections that send nothing.
	for range 5 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	// A request in flight.
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fmt.Fprintf(slow, "GET /slow HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	<-started

	t0 := time.Now()
	cancel()
	resp, err := http.ReadResponse(bufio.NewReader(slow), nil)
	if err != nil {
		t.Fatalf("the request in flight got no answer: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || len(body) != len("slow answer ")*10000 {
		t.Fatalf("the request in flight: %d, %d bytes, %v", resp.StatusCode, len(body), err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
		if d := time.Since(t0); d > 2500*time.Millisecond {
			t.Fatalf("Serve took %s to return", d)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return")
	}
}
