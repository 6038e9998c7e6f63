// psa-check evaluates every pod template in rendered Kubernetes manifests (read from stdin, YAML
// documents) against a Pod Security Standard level with the Kubernetes project's own evaluator,
// k8s.io/pod-security-admission: the code the PodSecurity admission plugin runs. It prints one
// line per pod template and exits 1 if any is forbidden.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
	psapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	sigsyaml "sigs.k8s.io/yaml"
)

func main() {
	level := flag.String("level", "restricted", "Pod Security Standard level: baseline or restricted")
	version := flag.String("version", "latest", "policy version, e.g. v1.35 or latest")
	flag.Parse()
	lv, err := psapi.ParseLevel(*level)
	if err != nil {
		fail(err)
	}
	ver, err := psapi.ParseVersion(*version)
	if err != nil {
		fail(err)
	}
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		fail(err)
	}
	reader := yaml.NewYAMLReader(bufio.NewReader(os.Stdin))
	checked, forbidden := 0, 0
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fail(err)
		}
		name, meta, spec, err := podTemplate(doc)
		if err != nil {
			fail(err)
		}
		if spec == nil {
			continue
		}
		checked++
		results := evaluator.EvaluatePod(psapi.LevelVersion{Level: lv, Version: ver}, meta, spec)
		agg := policy.AggregateCheckResults(results)
		if agg.Allowed {
			fmt.Printf("ok        %s\n", name)
		} else {
			forbidden++
			fmt.Printf("forbidden %s: %s\n", name, agg.ForbiddenDetail())
		}
	}
	fmt.Printf("%d pod templates checked against %s:%s, %d forbidden\n", checked, *level, *version, forbidden)
	if checked == 0 || forbidden > 0 {
		os.Exit(1)
	}
}

// podTemplate returns the pod metadata and spec of a workload document, or a nil spec for others.
func podTemplate(doc []byte) (string, *metav1.ObjectMeta, *corev1.PodSpec, error) {
	var head struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := sigsyaml.Unmarshal(doc, &head); err != nil {
		return "", nil, nil, err
	}
	name := head.Kind + "/" + head.Metadata.Name
	switch head.Kind {
	case "Pod":
		var o corev1.Pod
		err := sigsyaml.UnmarshalStrict(doc, &o)
		return name, &o.ObjectMeta, &o.Spec, err
	case "StatefulSet":
		var o appsv1.StatefulSet
		err := sigsyaml.UnmarshalStrict(doc, &o)
		return name, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, err
	case "Deployment":
		var o appsv1.Deployment
		err := sigsyaml.UnmarshalStrict(doc, &o)
		return name, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, err
	case "DaemonSet":
		var o appsv1.DaemonSet
		err := sigsyaml.UnmarshalStrict(doc, &o)
		return name, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, err
	case "Job":
		var o batchv1.Job
		err := sigsyaml.UnmarshalStrict(doc, &o)
		return name, &o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec, err
	}
	return name, nil, nil, nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "psa-check:", err)
	os.Exit(2)
}
