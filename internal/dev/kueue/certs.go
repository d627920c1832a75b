package kueue

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// caName is the CA's name Kueue's certificate management checks its CA certificate against.
const caName = "kueue-ca"

// certs are the contents of Kueue's webhook Secret: a CA (RSA, PKCS #1, as its certificate
// management reads it back) and a serving certificate it signed.
type certs struct {
	caPEM, caKeyPEM, certPEM, keyPEM []byte
}

// newCerts makes a CA and a serving certificate valid for serviceDNS (what Kueue verifies before
// keeping the Secret's certificates) and 127.0.0.1 (what the API server dials).
func newCerts(serviceDNS string) (certs, error) {
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return certs{}, err
	}
	now := time.Now()
	caTemplate := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: caName, Organization: []string{"kueue"}},
		DNSNames:  []string{caName},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		IsCA:     true, BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return certs{}, fmt.Errorf("self-signing Kueue's CA: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return certs{}, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return certs{}, err
	}
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: serviceDNS},
		DNSNames: []string{serviceDNS}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca, &key.PublicKey, caKey)
	if err != nil {
		return certs{}, fmt.Errorf("signing Kueue's serving certificate: %w", err)
	}
	return certs{
		caPEM:    pemBlock("CERTIFICATE", caDER),
		caKeyPEM: pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(caKey)),
		certPEM:  pemBlock("CERTIFICATE", der),
		keyPEM:   pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key)),
	}, nil
}

func pemBlock(kind string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return big.NewInt(time.Now().UnixNano())
	}
	return n
}
