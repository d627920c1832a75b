package podrunner

import (
	"context"
	"fmt"
	"runtime"
	"syscall"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	leaseDurationSeconds = 40
	leaseRenewInterval   = 10 * time.Second
	// nodeStatusInterval matches the kubelet's default nodeStatusReportFrequency.
	nodeStatusInterval = 5 * time.Minute
)

// nodeCapacity reports the machine's CPUs and memory, so resourceFieldRef
// defaults and anything reading the Node see real numbers.
func nodeCapacity() corev1.ResourceList {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:  *resource.NewQuantity(int64(runtime.NumCPU()), resource.DecimalSI),
		corev1.ResourcePods: *resource.NewQuantity(110, resource.DecimalSI),
	}
	var info syscall.Sysinfo_t
	if err := syscall.Sysinfo(&info); err == nil {
		capacity[corev1.ResourceMemory] = *resource.NewQuantity(int64(info.Totalram)*int64(info.Unit), resource.BinarySI)
	}
	return capacity
}

// registerNode creates (or takes over) the runner's Node and reports it Ready.
func (r *runner) registerNode(ctx context.Context) error {
	nodes := r.client.CoreV1().Nodes()
	node, err := nodes.Get(ctx, r.opts.NodeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		node, err = nodes.Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{
			Name: r.opts.NodeName,
			Labels: map[string]string{
				"kubernetes.io/hostname": r.opts.NodeName,
				"kubernetes.io/os":       runtime.GOOS,
				"kubernetes.io/arch":     runtime.GOARCH,
			},
			Annotations: map[string]string{
				"podrunner.backfill-operator/description": "pods on this node run as local processes via podrunner; no container runtime",
			},
		}}, metav1.CreateOptions{})
	}
	if err != nil {
		return fmt.Errorf("registering node %s: %w", r.opts.NodeName, err)
	}
	if err := r.reportNodeReady(ctx, node.Name); err != nil {
		return err
	}
	r.log.Info("node registered", "cpu", r.capacity.Cpu().String(), "memory", r.capacity.Memory().String(),
		"pods", r.capacity.Pods().String())
	return nil
}

func (r *runner) reportNodeReady(ctx context.Context, name string) error {
	nodes := r.client.CoreV1().Nodes()
	node, err := nodes.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("reading node %s: %w", name, err)
	}
	now := metav1.Now()
	node.Status.Capacity = r.capacity
	node.Status.Allocatable = r.capacity
	node.Status.Phase = corev1.NodeRunning
	node.Status.Addresses = []corev1.NodeAddress{
		{Type: corev1.NodeHostName, Address: name},
		{Type: corev1.NodeInternalIP, Address: "127.0.0.1"},
	}
	// kube-apiserver proxies pods/log (kubectl logs) to InternalIP:kubeletEndpoint.Port.
	node.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(r.logPort)
	node.Status.NodeInfo = corev1.NodeSystemInfo{
		OperatingSystem:         runtime.GOOS,
		Architecture:            runtime.GOARCH,
		KubeletVersion:          "podrunner",
		ContainerRuntimeVersion: "podrunner://local-process",
	}
	transition := now
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
			transition = c.LastTransitionTime
		}
	}
	node.Status.Conditions = []corev1.NodeCondition{{
		Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "PodRunnerReady",
		Message:           "podrunner runs this node's pods as local processes (no container runtime, no isolation)",
		LastHeartbeatTime: now, LastTransitionTime: transition,
	}}
	for _, pressure := range []corev1.NodeConditionType{corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure} {
		node.Status.Conditions = append(node.Status.Conditions, corev1.NodeCondition{
			Type: pressure, Status: corev1.ConditionFalse, Reason: "PodRunnerNotChecked",
			LastHeartbeatTime: now, LastTransitionTime: transition,
		})
	}
	if _, err := nodes.UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("reporting node %s ready: %w", name, err)
	}
	return nil
}

// heartbeat renews the node Lease like a kubelet (what the node lifecycle
// controller watches) and refreshes the Ready condition now and then.
func (r *runner) heartbeat(ctx context.Context) {
	renew := time.NewTicker(leaseRenewInterval)
	defer renew.Stop()
	status := time.NewTicker(nodeStatusInterval)
	defer status.Stop()
	for {
		if err := r.renewLease(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("renewing node lease", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-status.C:
			if err := r.reportNodeReady(ctx, r.opts.NodeName); err != nil && ctx.Err() == nil {
				r.log.Warn("refreshing node status", "err", err)
			}
		case <-renew.C:
		}
	}
}

func (r *runner) renewLease(ctx context.Context) error {
	leases := r.client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	now := metav1.NewMicroTime(time.Now())
	holder := r.opts.NodeName
	duration := int32(leaseDurationSeconds)
	lease, err := leases.Get(ctx, r.opts.NodeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		node, err := r.client.CoreV1().Nodes().Get(ctx, r.opts.NodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		_, err = leases.Create(ctx, &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{
				Name: r.opts.NodeName, Namespace: corev1.NamespaceNodeLease,
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID}},
			},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &duration, RenewTime: &now},
		}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	lease.Spec.HolderIdentity, lease.Spec.LeaseDurationSeconds, lease.Spec.RenewTime = &holder, &duration, &now
	_, err = leases.Update(ctx, lease, metav1.UpdateOptions{})
	return err
}
