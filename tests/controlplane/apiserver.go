package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
	"k8s.io/kubernetes/cmd/kube-apiserver/app/options"
)

// Issuer is what service-account tokens name as their issuer; a pod's client does not check
// it, but the TokenRequest API needs one.
const issuer = "https://kubernetes.default.svc.cluster.local"

type apiServer struct {
	url    string
	caFile string
	token  string
	admin  *rest.Config
	errc   chan error
}

// wait blocks until the server's Run has returned, after its context was cancelled.
func (s *apiServer) wait() {
	select {
	case err := <-s.errc:
		if err != nil {
			fmt.Fprintf(os.Stderr, "controlplane: kube-apiserver stopped: %v\n", err)
		}
	case <-time.After(30 * time.Second):
		fmt.Fprintln(os.Stderr, "controlplane: kube-apiserver did not stop within 30 s")
	}
}

// waitReady polls /readyz, which only answers ok once the post-start hooks (RBAC bootstrap
// roles, priority-and-fairness, the default namespaces) have run.
func (s *apiServer) waitReady(ctx context.Context, timeout time.Duration) error {
	client, err := kubernetes.NewForConfig(s.admin)
	if err != nil {
		return err
	}
	var last string
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true,
		func(ctx context.Context) (bool, error) {
			select {
			case err := <-s.errc:
				return false, fmt.Errorf("stopped while starting: %v", err)
			default:
			}
			var code int
			body, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx).StatusCode(&code).Raw()
			if err != nil || code != http.StatusOK {
				last = fmt.Sprintf("%d %v %s", code, err, body)
				return false, nil
			}
			return true, nil
		})
	if err != nil {
		return fmt.Errorf("/readyz: %w (last answer: %s)", err, last)
	}
	return nil
}

// startAPIServer runs kube-apiserver with the flags a small real cluster would use:
// bearer tokens from a file for the admin, service-account tokens signed by a key made
// here, and RBAC as the only authorizer, so the bot's Role is checked by the real thing.
func startAPIServer(ctx context.Context, dir, etcdURL string) (*apiServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	certDir := filepath.Join(dir, "certs")
	tokenFile := filepath.Join(dir, "tokens.csv")
	keyFile := filepath.Join(dir, "service-account.key")
	token, err := randomToken()
	if err != nil {
		return nil, err
	}
	// Group system:masters is bound to cluster-admin by the bootstrap RBAC policy.
	line := fmt.Sprintf("%s,admin,admin,\"system:masters\"\n", token)
	if err := os.WriteFile(tokenFile, []byte(line), 0o600); err != nil {
		return nil, err
	}
	if err := writeSigningKey(keyFile); err != nil {
		return nil, err
	}

	s := options.NewServerRunOptions()
	fs := pflag.NewFlagSet("kube-apiserver", pflag.ContinueOnError)
	for _, f := range s.Flags().FlagSets {
		fs.AddFlagSet(f)
	}
	args := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", port),
		"--cert-dir=" + certDir,
		"--token-auth-file=" + tokenFile,
		"--authorization-mode=RBAC",
		"--service-account-issuer=" + issuer,
		"--service-account-key-file=" + keyFile,
		"--service-account-signing-key-file=" + keyFile,
		"--service-cluster-ip-range=10.0.0.0/16",
		// No service-account controller runs, so no "default" ServiceAccount appears in new
		// namespaces; pods would be refused without this.
		"--disable-admission-plugins=ServiceAccount",
		// The loopback address cannot be advertised as the kubernetes Service's endpoint.
		"--endpoint-reconciler-type=none",
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if err := s.GenericServerRunOptions.ComponentGlobalsRegistry.Set(); err != nil {
		return nil, err
	}
	completed, err := s.Complete(ctx)
	if err != nil {
		return nil, err
	}
	if errs := completed.Validate(); len(errs) != 0 {
		return nil, utilerrors.NewAggregate(errs)
	}

	server := &apiServer{
		url:    fmt.Sprintf("https://127.0.0.1:%d", port),
		caFile: filepath.Join(certDir, "apiserver.crt"),
		token:  token,
		errc:   make(chan error, 1),
	}
	server.admin = &rest.Config{
		Host:            server.url,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAFile: server.caFile},
		QPS:             200,
		Burst:           400,
	}
	go func() { server.errc <- app.Run(ctx, completed) }()
	return server, nil
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func writeSigningKey(path string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	block := &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}
	return os.WriteFile(path, pem.EncodeToMemory(block), 0o600)
}
