package main

import (
	"os"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// writeKubeconfig embeds the CA, so the file stays valid for a client even though the
// certificate directory it came from is private to this process.
func writeKubeconfig(path string, api *apiServer, contextName, namespace string) error {
	ca, err := os.ReadFile(api.caFile)
	if err != nil {
		return err
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[contextName] = &clientcmdapi.Cluster{Server: api.url, CertificateAuthorityData: ca}
	cfg.AuthInfos[contextName] = &clientcmdapi.AuthInfo{Token: api.token}
	cfg.Contexts[contextName] = &clientcmdapi.Context{
		Cluster: contextName, AuthInfo: contextName, Namespace: namespace,
	}
	cfg.CurrentContext = contextName
	tmp := path + ".tmp"
	if err := clientcmd.WriteToFile(*cfg, tmp); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
