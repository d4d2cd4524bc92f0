// Command controlplane runs a real Kubernetes control plane for releasebot's tests, in one
// process on 127.0.0.1: an embedded etcd, the kube-apiserver (token authentication,
// service-account tokens, RBAC), the deployment, ReplicaSet and garbage-collector
// controllers, and a pod agent standing in for the kubelet. The controllers are the
// Kubernetes modules themselves, so the simulated cluster can be checked against them.
//
// It writes an admin kubeconfig, prints one "controlplane ready" line on stdout, and on
// SIGTERM or SIGINT stops everything and removes its temporary folder.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"k8s.io/klog/v2"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "where to write the admin kubeconfig (required)")
	namespace := flag.String("namespace", "default", "the kubeconfig context's namespace")
	context_ := flag.String("context", "real", "the kubeconfig context's name")
	verbosity := flag.String("v", "0", "klog verbosity of the Kubernetes components")
	flag.Parse()
	if *kubeconfig == "" {
		fmt.Fprintln(os.Stderr, "controlplane: --kubeconfig is required")
		os.Exit(2)
	}
	quietKlog(*verbosity)
	if err := run(*kubeconfig, *context_, *namespace); err != nil {
		fmt.Fprintf(os.Stderr, "controlplane: %v\n", err)
		os.Exit(1)
	}
}

func run(kubeconfig, contextName, namespace string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	dir, err := os.MkdirTemp("", "releasebot-controlplane-")
	if err != nil {
		return err
	}
	// Removed last, after every component that writes into it has stopped.
	defer os.RemoveAll(dir)

	started := time.Now()
	etcd, err := startEtcd(filepath.Join(dir, "etcd"))
	if err != nil {
		return fmt.Errorf("etcd: %w", err)
	}
	defer etcd.Close()

	serverCtx, stopServer := context.WithCancel(context.Background())
	api, err := startAPIServer(serverCtx, dir, etcd.url)
	if err != nil {
		stopServer()
		return fmt.Errorf("kube-apiserver: %w", err)
	}
	defer func() {
		stopServer()
		api.wait()
	}()
	if err := api.waitReady(ctx, time.Minute); err != nil {
		return fmt.Errorf("kube-apiserver: %w", err)
	}

	controllersCtx, stopControllers := context.WithCancel(context.Background())
	done, err := startControllers(controllersCtx, api.admin)
	if err != nil {
		stopControllers()
		return fmt.Errorf("controllers: %w", err)
	}
	defer func() {
		stopControllers()
		done.Wait()
	}()

	if err := writeKubeconfig(kubeconfig, api, contextName, namespace); err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	fmt.Printf("controlplane ready url=%s kubeconfig=%s dir=%s startup=%.1fs\n",
		api.url, kubeconfig, dir, time.Since(started).Seconds())

	<-ctx.Done()
	fmt.Fprintln(os.Stderr, "controlplane: stopping")
	return nil
}

// quietKlog keeps the components' logs to warnings and errors, on stderr, so a test run's
// output stays readable while real problems still show.
func quietKlog(verbosity string) {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("v", verbosity)
	_ = fs.Set("logtostderr", "true")
	_ = fs.Set("stderrthreshold", "WARNING")
}
