package main

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/controller-manager/pkg/informerfactory"
	"k8s.io/kubernetes/pkg/controller/deployment"
	"k8s.io/kubernetes/pkg/controller/garbagecollector"
	"k8s.io/kubernetes/pkg/controller/replicaset"
)

// gcSyncPeriod is how often the garbage collector rediscovers resource types; nothing in the
// tests adds types, so a slow period keeps it from competing for the two CPUs.
const gcSyncPeriod = 30 * time.Second

func clientFor(cfg *rest.Config, agent string) kubernetes.Interface {
	return kubernetes.NewForConfigOrDie(rest.AddUserAgent(rest.CopyConfig(cfg), agent))
}

// startControllers runs what kube-controller-manager would run for Deployments: the
// deployment and ReplicaSet controllers, and the garbage collector so that deleting a
// Deployment removes its ReplicaSets and pods as on a real cluster. The pod agent stands in
// for the scheduler and kubelet.
func startControllers(ctx context.Context, admin *rest.Config) (*sync.WaitGroup, error) {
	var wg sync.WaitGroup
	goRun := func(f func()) {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	factory := informers.NewSharedInformerFactory(clientFor(admin, "controlplane-informers"), 0)
	dc, err := deployment.NewDeploymentController(ctx,
		factory.Apps().V1().Deployments(),
		factory.Apps().V1().ReplicaSets(),
		factory.Core().V1().Pods(),
		clientFor(admin, "deployment-controller"))
	if err != nil {
		return nil, err
	}
	rsc := replicaset.NewReplicaSetController(ctx,
		factory.Apps().V1().ReplicaSets(),
		factory.Core().V1().Pods(),
		clientFor(admin, "replicaset-controller"),
		replicaset.BurstReplicas)

	gcClient := clientFor(admin, "generic-garbage-collector")
	metadataClient, err := metadata.NewForConfig(rest.AddUserAgent(rest.CopyConfig(admin), "generic-garbage-collector"))
	if err != nil {
		return nil, err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(gcClient.Discovery()))
	mapper.Reset()
	metadataInformers := metadatainformer.NewSharedInformerFactory(metadataClient, 0)
	started := make(chan struct{})
	gc, err := garbagecollector.NewGarbageCollector(ctx, gcClient, metadataClient, mapper,
		garbagecollector.DefaultIgnoredResources(),
		informerfactory.NewInformerFactory(factory, metadataInformers), started)
	if err != nil {
		return nil, err
	}

	agent, err := newPodAgent(ctx, clientFor(admin, "pod-agent"), factory)
	if err != nil {
		return nil, err
	}

	factory.Start(ctx.Done())
	metadataInformers.Start(ctx.Done())
	close(started)
	goRun(func() { dc.Run(ctx, 5) })
	goRun(func() { rsc.Run(ctx, 5) })
	goRun(func() { gc.Run(ctx, 2, gcSyncPeriod) })
	goRun(func() { gc.Sync(ctx, gcClient.Discovery(), gcSyncPeriod) })
	goRun(func() { wait.UntilWithContext(ctx, func(context.Context) { mapper.Reset() }, gcSyncPeriod) })
	goRun(func() { agent.run(ctx, 4) })
	goRun(func() {
		<-ctx.Done()
		factory.Shutdown()
		metadataInformers.Shutdown()
	})
	return &wg, nil
}
