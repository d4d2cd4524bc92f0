package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// The ConfigMap tests write to choose how containers behave, by image.
const (
	behavioursNamespace = "kube-system"
	behavioursName      = "releasebot-pod-behaviours"
	behavioursKey       = "behaviours"
	hostIP              = "10.0.0.10"
)

// podAgent stands in for the kubelet: with no node, it writes only pod status, computed
// from the image's behaviour and the time since the agent first saw the pod, the way the
// simulated cluster's kubelet does. Unbound pods are deleted at once by the apiserver, as
// pods that never reached a node are, so no one has to play the kubelet's part in deletion.
type podAgent struct {
	client    kubernetes.Interface
	pods      corelisters.PodLister
	synced    cache.InformerSynced
	cmSynced  cache.InformerSynced
	queue     workqueue.TypedRateLimitingInterface[string]
	cmFactory informers.SharedInformerFactory

	mu         sync.Mutex
	behaviours imageBehaviours
	firstSeen  map[types.UID]time.Time
	ips        map[types.UID]string
	nextIP     int
}

func newPodAgent(ctx context.Context, client kubernetes.Interface, factory informers.SharedInformerFactory) (*podAgent, error) {
	a := &podAgent{
		client:     client,
		queue:      workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
		behaviours: imageBehaviours{def: defaultBehaviour, exact: map[string]behaviour{}},
		firstSeen:  map[types.UID]time.Time{},
		ips:        map[types.UID]string{},
	}
	podInformer := factory.Core().V1().Pods()
	a.pods = podInformer.Lister()
	a.synced = podInformer.Informer().HasSynced
	enqueue := func(obj any) {
		if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
			a.queue.Add(key)
		}
	}
	if _, err := podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
		DeleteFunc: func(obj any) {
			if pod, ok := obj.(*corev1.Pod); ok {
				a.forget(pod.UID)
			}
		},
	}); err != nil {
		return nil, err
	}

	a.cmFactory = informers.NewSharedInformerFactoryWithOptions(client, 0,
		informers.WithNamespace(behavioursNamespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", behavioursName).String()
		}))
	cmInformer := a.cmFactory.Core().V1().ConfigMaps().Informer()
	a.cmSynced = cmInformer.HasSynced
	onConfig := func(obj any) {
		cm, ok := obj.(*corev1.ConfigMap)
		if !ok {
			return
		}
		a.setBehaviours(cm.Data[behavioursKey])
	}
	if _, err := cmInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    onConfig,
		UpdateFunc: func(_, obj any) { onConfig(obj) },
		DeleteFunc: func(any) { a.setBehaviours("") },
	}); err != nil {
		return nil, err
	}
	return a, nil
}

// setBehaviours takes effect for every pod at once, as the sim's does: each pod's state is
// recomputed from its behaviour and its age.
func (a *podAgent) setBehaviours(text string) {
	parsed, err := parseBehaviours(text)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pod agent: ignoring ConfigMap %s/%s: %v\n", behavioursNamespace, behavioursName, err)
		return
	}
	a.mu.Lock()
	a.behaviours = parsed
	a.mu.Unlock()
	pods, err := a.pods.List(labelsEverything())
	if err != nil {
		return
	}
	for _, pod := range pods {
		a.queue.Add(pod.Namespace + "/" + pod.Name)
	}
}

func (a *podAgent) forget(uid types.UID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.firstSeen, uid)
	delete(a.ips, uid)
}

func (a *podAgent) run(ctx context.Context, workers int) {
	defer a.queue.ShutDown()
	a.cmFactory.Start(ctx.Done())
	defer a.cmFactory.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), a.synced, a.cmSynced) {
		return
	}
	for i := 0; i < workers; i++ {
		go wait.UntilWithContext(ctx, a.work, time.Second)
	}
	<-ctx.Done()
}

func (a *podAgent) work(ctx context.Context) {
	for {
		key, quit := a.queue.Get()
		if quit {
			return
		}
		if err := a.sync(ctx, key); err != nil {
			a.queue.AddRateLimited(key)
		} else {
			a.queue.Forget(key)
		}
		a.queue.Done(key)
	}
}

func (a *podAgent) sync(ctx context.Context, key string) error {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	pod, err := a.pods.Pods(namespace).Get(name)
	if err != nil || pod.DeletionTimestamp != nil {
		return nil
	}
	now := time.Now()
	a.mu.Lock()
	scheduled, ok := a.firstSeen[pod.UID]
	if !ok {
		scheduled = now
		a.firstSeen[pod.UID] = now
	}
	ip := a.podIP(pod.UID)
	behaviours := a.behaviours
	a.mu.Unlock()

	views := make([]containerView, 0, len(pod.Spec.Containers))
	for _, c := range pod.Spec.Containers {
		views = append(views, viewOf(behaviours.forImage(c.Image), c, pod, scheduled, now))
	}
	status := podStatus(pod, views, scheduled, ip)
	if !apiequality.Semantic.DeepEqual(status, pod.Status) {
		updated := pod.DeepCopy()
		updated.Status = status
		if _, err := a.client.CoreV1().Pods(namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{}); err != nil {
			return err
		}
	}
	var next *time.Time
	for _, v := range views {
		if v.nextChange != nil && (next == nil || v.nextChange.Before(*next)) {
			next = v.nextChange
		}
	}
	if next != nil {
		a.queue.AddAfter(key, time.Until(*next))
	}
	return nil
}

// podIP hands out addresses in the sim's range; callers hold a.mu.
func (a *podAgent) podIP(uid types.UID) string {
	if ip, ok := a.ips[uid]; ok {
		return ip
	}
	n := a.nextIP
	a.nextIP++
	ip := fmt.Sprintf("10.244.%d.%d", (n/250)%256, n%250+2)
	a.ips[uid] = ip
	return ip
}

func podStatus(pod *corev1.Pod, views []containerView, scheduled time.Time, ip string) corev1.PodStatus {
	since := at(scheduled)
	allReady := len(views) > 0
	var unready []string
	readySince := scheduled
	allStarted := len(views) > 0
	statuses := make([]corev1.ContainerStatus, 0, len(views))
	for _, v := range views {
		if v.readySince == nil {
			allReady = false
			unready = append(unready, v.status.Name)
		} else if v.readySince.After(readySince) {
			readySince = *v.readySince
		}
		if !v.started && v.status.RestartCount == 0 {
			allStarted = false
		}
		statuses = append(statuses, v.status)
	}
	ready := corev1.PodCondition{Status: corev1.ConditionTrue, LastTransitionTime: at(readySince)}
	if !allReady {
		ready = corev1.PodCondition{
			Status:             corev1.ConditionFalse,
			Reason:             "ContainersNotReady",
			Message:            fmt.Sprintf("containers with unready status: [%s]", joinSpace(unready)),
			LastTransitionTime: since,
		}
	}
	readyCond, containersReady := ready, ready
	readyCond.Type, containersReady.Type = corev1.PodReady, corev1.ContainersReady
	phase := corev1.PodPending
	if allStarted {
		phase = corev1.PodRunning
	}
	return corev1.PodStatus{
		Phase: phase,
		Conditions: []corev1.PodCondition{
			{Type: corev1.PodReadyToStartContainers, Status: corev1.ConditionTrue, LastTransitionTime: since},
			{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: since},
			readyCond,
			containersReady,
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: since},
		},
		HostIP:            hostIP,
		HostIPs:           []corev1.HostIP{{IP: hostIP}},
		PodIP:             ip,
		PodIPs:            []corev1.PodIP{{IP: ip}},
		StartTime:         &since,
		ContainerStatuses: statuses,
		QOSClass:          pod.Status.QOSClass,
	}
}

func joinSpace(names []string) string {
	out := ""
	for i, n := range names {
		if i > 0 {
			out += " "
		}
		out += n
	}
	return out
}

func labelsEverything() labels.Selector { return labels.Everything() }
