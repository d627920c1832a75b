package podrunner

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
)

// The kubelet's read-only log endpoint, which kube-apiserver proxies `kubectl logs` (the
// pods/log subresource) to: the Node's InternalIP and status.daemonEndpoints.kubeletEndpoint.
// Callers must present a client certificate signed by the cluster's CA, as kube-apiserver does
// with --kubelet-client-certificate. Supported query parameters: follow, previous, tailLines
// and limitBytes (the runner keeps no per-line timestamps, so timestamps and since* are ignored).

// startLogServer listens on a loopback port and serves container logs until ctx ends. It
// returns the port, or 0 when the cluster's CA is unknown (no caller could be authenticated).
func (r *runner) startLogServer(ctx context.Context, cfg *rest.Config) (int, error) {
	if err := rest.LoadTLSFiles(cfg); err != nil {
		return 0, fmt.Errorf("reading the cluster CA: %w", err)
	}
	if len(cfg.CAData) == 0 {
		r.log.Warn("no cluster CA in the client configuration: container logs are not served")
		return 0, nil
	}
	clientCAs := x509.NewCertPool()
	if !clientCAs.AppendCertsFromPEM(cfg.CAData) {
		return 0, errors.New("the cluster CA is not PEM")
	}
	cert, err := selfSignedServing()
	if err != nil {
		return 0, err
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("listening for log requests: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containerLogs/{namespace}/{pod}/{container}", r.serveContainerLogs)
	server := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{cert},
			ClientAuth:   tls.RequireAndVerifyClientCert,
			ClientCAs:    clientCAs,
			MinVersion:   tls.VersionTLS12,
		},
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	r.wg.Go(func() {
		if err := server.ServeTLS(listener, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.log.Error("serving container logs", "err", err)
		}
	})
	r.wg.Go(func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = server.Shutdown(shutdown)
	})
	return listener.Addr().(*net.TCPAddr).Port, nil
}

func (r *runner) serveContainerLogs(w http.ResponseWriter, req *http.Request) {
	namespace, name, container := req.PathValue("namespace"), req.PathValue("pod"), req.PathValue("container")
	obj, exists, err := r.indexer.GetByKey(namespace + "/" + name)
	if err != nil || !exists {
		http.Error(w, fmt.Sprintf("pod %q not found", name), http.StatusNotFound)
		return
	}
	pod := obj.(*corev1.Pod)
	var status *corev1.ContainerStatus
	for i := range pod.Status.ContainerStatuses {
		if pod.Status.ContainerStatuses[i].Name == container {
			status = &pod.Status.ContainerStatuses[i]
		}
	}
	if status == nil || status.State.Waiting != nil {
		reason := "ContainerCreating"
		if status != nil && status.State.Waiting.Reason != "" {
			reason = status.State.Waiting.Reason
		}
		http.Error(w, fmt.Sprintf("container %q in pod %q is waiting to start: %s", container, name, reason), http.StatusBadRequest)
		return
	}
	query := req.URL.Query()
	run := status.RestartCount
	if query.Get("previous") == "true" {
		if run == 0 {
			http.Error(w, fmt.Sprintf("previous terminated container %q in pod %q not found", container, name), http.StatusBadRequest)
			return
		}
		run--
	}
	path := filepath.Join(r.opts.LogDir, fmt.Sprintf("%s_%s_%s", pod.Namespace, pod.Name, pod.UID), container, strconv.Itoa(int(run))+".log")
	full, err := os.ReadFile(path)
	if err != nil {
		http.Error(w, fmt.Sprintf("log of container %q in pod %q: %v", container, name, err), http.StatusNotFound)
		return
	}
	data := full
	if n, err := strconv.Atoi(query.Get("tailLines")); err == nil && n >= 0 {
		data = lastLines(data, n)
	}
	limit := int64(-1)
	if n, err := strconv.ParseInt(query.Get("limitBytes"), 10, 64); err == nil && n > 0 {
		limit = n
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	writeLimited(w, data, &limit)
	if query.Get("follow") != "true" || query.Get("previous") == "true" || limit == 0 {
		return
	}
	r.follow(req.Context(), w, path, pod, int64(len(full)), &limit)
}

// follow streams path from offset while the container runs.
func (r *runner) follow(ctx context.Context, w http.ResponseWriter, path string, pod *corev1.Pod, offset int64, limit *int64) {
	flusher, _ := w.(http.Flusher)
	if flusher != nil {
		flusher.Flush()
	}
	for {
		running := r.podRunning(pod)
		f, err := os.Open(path)
		if err != nil {
			return
		}
		_, _ = f.Seek(offset, io.SeekStart)
		chunk, _ := io.ReadAll(f)
		f.Close()
		if len(chunk) > 0 {
			offset += writeLimited(w, chunk, limit)
			if flusher != nil {
				flusher.Flush()
			}
			if *limit == 0 {
				return
			}
		}
		if !running {
			return // everything the finished process wrote is sent
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// podRunning: this runner still runs the pod's processes (same pod UID).
func (r *runner) podRunning(pod *corev1.Pod) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	run := r.runs[podKey(pod)]
	return run != nil && run.uid == pod.UID
}

// writeLimited writes data within *limit bytes (-1: no limit) and lowers the limit.
func writeLimited(w io.Writer, data []byte, limit *int64) int64 {
	if *limit >= 0 && int64(len(data)) > *limit {
		data = data[:*limit]
	}
	n, _ := w.Write(data)
	if *limit >= 0 {
		*limit -= int64(n)
	}
	return int64(n)
}

// lastLines keeps the last n lines of data (a final line without newline counts).
func lastLines(data []byte, n int) []byte {
	if n == 0 {
		return nil
	}
	end := len(data)
	if end > 0 && data[end-1] == '\n' {
		end--
	}
	for i := end - 1; i >= 0; i-- {
		if data[i] == '\n' {
			n--
			if n == 0 {
				return data[i+1:]
			}
		}
	}
	return data
}

// selfSignedServing is the endpoint's certificate: kube-apiserver verifies a kubelet's serving
// certificate only with --kubelet-certificate-authority, which a development cluster omits.
func selfSignedServing() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, err
	}
	template := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "podrunner"},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
