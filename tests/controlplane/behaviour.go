package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The knobs below are the simulated cluster's (bot/kube/sim/behaviour.py) so that a test can
// give both backends the same scenario: the same kinds, delays and back-off.
const (
	backoffInitial = 10 * time.Second
	backoffMax     = 300 * time.Second
)

type behaviour struct {
	Kind       string  `json:"kind"`
	ReadyAfter float64 `json:"ready_after"`
	StartAfter float64 `json:"start_after"`
	RunFor     float64 `json:"run_for"`
	Message    string  `json:"message"`
}

var defaultBehaviour = behaviour{Kind: "ready", ReadyAfter: 2, StartAfter: 1, RunFor: 1}

type patternBehaviour struct {
	re *regexp.Regexp
	b  behaviour
}

// imageBehaviours is what tests put in the ConfigMap: exact image names win, then glob
// patterns in the order given (the tests send the latest-set first).
type imageBehaviours struct {
	def      behaviour
	exact    map[string]behaviour
	patterns []patternBehaviour
}

type behavioursDoc struct {
	Default  *behaviour           `json:"default"`
	Exact    map[string]behaviour `json:"exact"`
	Patterns []json.RawMessage    `json:"patterns"`
}

func parseBehaviours(text string) (imageBehaviours, error) {
	out := imageBehaviours{def: defaultBehaviour, exact: map[string]behaviour{}}
	if strings.TrimSpace(text) == "" {
		return out, nil
	}
	var doc behavioursDoc
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return out, err
	}
	if doc.Default != nil {
		out.def = *doc.Default
	}
	for k, v := range doc.Exact {
		out.exact[k] = v
	}
	for _, raw := range doc.Patterns {
		var pair []json.RawMessage
		if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
			return out, fmt.Errorf("a pattern is [glob, behaviour]: %s", raw)
		}
		var glob string
		var b behaviour
		if err := json.Unmarshal(pair[0], &glob); err != nil {
			return out, err
		}
		if err := json.Unmarshal(pair[1], &b); err != nil {
			return out, err
		}
		re, err := globRegexp(glob)
		if err != nil {
			return out, err
		}
		out.patterns = append(out.patterns, patternBehaviour{re, b})
	}
	return out, nil
}

// globRegexp reads a pattern as Python's fnmatch does ('*' also crosses '/'), which is what
// the simulated cluster uses.
func globRegexp(glob string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			end := strings.IndexByte(glob[i+1:], ']')
			if end < 0 {
				b.WriteString(`\[`)
				continue
			}
			class := glob[i+1 : i+1+end]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + class + "]")
			i += end + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

func (ib imageBehaviours) forImage(image string) behaviour {
	if b, ok := ib.exact[image]; ok {
		return b
	}
	for _, p := range ib.patterns {
		if p.re.MatchString(image) {
			return p.b
		}
	}
	return ib.def
}

// containerView is one container at one instant, and when it will next change by itself.
type containerView struct {
	status     corev1.ContainerStatus
	readySince *time.Time
	started    bool
	nextChange *time.Time
}

func seconds(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

func backoff(attempt int) time.Duration {
	d := backoffInitial
	for i := 0; i < attempt && d < backoffMax; i++ {
		d *= 2
	}
	if d > backoffMax {
		d = backoffMax
	}
	return d
}

func digest(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

func containerID(podUID, name string, attempt int) string {
	return "containerd://" + digest(fmt.Sprintf("%s/%s/%d", podUID, name, attempt))
}

func imageID(image string) string {
	base := strings.SplitN(image, "@", 2)[0]
	if i := strings.LastIndex(base, ":"); i >= 0 {
		base = base[:i]
	}
	return base + "@sha256:" + digest(image)
}

func at(t time.Time) metav1.Time { return metav1.NewTime(t.Truncate(time.Second)) }

func waiting(name, image, reason, message string) corev1.ContainerStatus {
	started := false
	return corev1.ContainerStatus{
		Name: name, Image: image, Started: &started,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: message}},
	}
}

func running(name, image, podUID string, restarts int, since time.Time) corev1.ContainerStatus {
	started := true
	return corev1.ContainerStatus{
		Name: name, Image: image, ImageID: imageID(image),
		ContainerID:  containerID(podUID, name, restarts),
		Started:      &started,
		RestartCount: int32(restarts),
		State:        corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: at(since)}},
	}
}

func viewOf(b behaviour, c corev1.Container, pod *corev1.Pod, scheduled, now time.Time) containerView {
	start := scheduled.Add(seconds(b.StartAfter))
	if now.Before(start) {
		return containerView{status: waiting(c.Name, c.Image, "ContainerCreating", ""), nextChange: &start}
	}
	switch b.Kind {
	case "pull_error":
		return pullError(b, c.Name, c.Image, start, now)
	case "crash_loop":
		ref := fmt.Sprintf("%s_%s(%s)", pod.Name, pod.Namespace, pod.UID)
		return crashLoop(b, c.Name, c.Image, ref, string(pod.UID), start, now)
	}
	status := running(c.Name, c.Image, string(pod.UID), 0, start)
	if b.Kind == "unready" {
		return containerView{status: status, started: true}
	}
	readyAt := scheduled.Add(seconds(b.ReadyAfter))
	if readyAt.Before(start) {
		readyAt = start
	}
	if now.Before(readyAt) {
		return containerView{status: status, started: true, nextChange: &readyAt}
	}
	status.Ready = true
	return containerView{status: status, readySince: &readyAt, started: true}
}

func pullError(b behaviour, name, image string, start, now time.Time) containerView {
	message := b.Message
	if message == "" {
		message = fmt.Sprintf("rpc error: code = NotFound desc = failed to pull and unpack image %q: "+
			"failed to resolve reference %q: not found", image, image)
	}
	attemptAt := start
	for attempt := 0; ; attempt++ {
		backoffAt := attemptAt.Add(time.Second)
		if now.Before(backoffAt) {
			return containerView{status: waiting(name, image, "ErrImagePull", message), nextChange: &backoffAt}
		}
		retryAt := backoffAt.Add(backoff(attempt))
		if now.Before(retryAt) {
			s := waiting(name, image, "ImagePullBackOff", fmt.Sprintf("Back-off pulling image %q", image))
			return containerView{status: s, nextChange: &retryAt}
		}
		attemptAt = retryAt
	}
}

func crashLoop(b behaviour, name, image, podRef, podUID string, start, now time.Time) containerView {
	runStart := start
	var last corev1.ContainerState
	for restarts := 0; ; {
		runEnd := runStart.Add(seconds(b.RunFor))
		if now.Before(runEnd) {
			s := running(name, image, podUID, restarts, runStart)
			s.LastTerminationState = last
			return containerView{status: s, started: true, nextChange: &runEnd}
		}
		last = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: 1, Reason: "Error", StartedAt: at(runStart), FinishedAt: at(runEnd),
			ContainerID: containerID(podUID, name, restarts),
		}}
		delay := backoff(restarts)
		restarts++
		nextStart := runEnd.Add(delay)
		if now.Before(nextStart) {
			message := fmt.Sprintf("back-off %ds restarting failed container=%s pod=%s", int(delay.Seconds()), name, podRef)
			s := waiting(name, image, "CrashLoopBackOff", message)
			s.RestartCount = int32(restarts)
			s.LastTerminationState = last
			s.ImageID = imageID(image)
			return containerView{status: s, nextChange: &nextStart}
		}
		runStart = nextStart
	}
}
