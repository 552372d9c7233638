/**
 * The certificate authorities AWS KMS trusts for an external key store proxy's TLS certificate:
 * "The proxy's certificate MUST be issued by one of these public certificate authorities for AWS KMS
 * to successfully authenticate the proxy" (XKS proxy API specification, section "Authentication").
 *
 * Source: the file `TrustedCertificateAuthorities` of https://github.com/aws/aws-kms-xksproxy-api-spec
 * ({@link TRUSTED_CA_SOURCE}), a keytool listing of 130 self-signed root certificates: alias, owner
 * (subject), validity and SHA-1 / SHA-256 certificate fingerprints. AWS gives no certificates and no
 * public-key (SPKI) hashes, so a root is recognised by its certificate's SHA-256 fingerprint
 * (`X509Certificate.fingerprint256`, the same colon-separated upper-case form), and only where that
 * fails by its subject name (a re-issued root with the same name and key has another fingerprint:
 * in Node 20's store that is the case for the GTS roots, for example). Copied here (the aliases,
 * subjects and SHA-256 fingerprints, nothing else) on {@link TRUSTED_CA_SOURCE}.readOn; the list is
 * (c) Amazon.com, Inc., CC BY-SA 4.0. Re-read it when AWS changes it (its only commit so far:
 * 2022-11-10).
 */

/** One CA of AWS's list. */
export interface TrustedCa {
  /** keytool alias, e.g. `amazonrootca1`. */
  readonly alias: string;
  /** The root's subject as AWS lists it (keytool order: `CN=..., O=..., C=...`). */
  readonly subject: string;
  /** SHA-256 fingerprint of the root certificate, `AA:BB:...` (upper case, colon-separated). */
  readonly sha256: string;
}

/** Where the list comes from and when it was read. */
export const TRUSTED_CA_SOURCE = {
  url: "https://github.com/aws/aws-kms-xksproxy-api-spec/blob/main/TrustedCertificateAuthorities",
  spec: "https://github.com/aws/aws-kms-xksproxy-api-spec/blob/main/xks_proxy_api_spec.md#authentication",
  /** The commit of the file read (its last change). */
  commit: "d55fc09eb8eebef592f58e1a5a202985fce964fa",
  readOn: "2026-12-07",
  matchedBy: "SHA-256 fingerprint of the root certificate; by subject name only when no fingerprint matches",
  doc: "https://docs.aws.amazon.com/kms/latest/developerguide/xks-troubleshooting.html",
} as const;

/** AWS's list, in its order ({@link TRUSTED_CA_SOURCE}). */
export const TRUSTED_CAS: readonly TrustedCa[] = [
  {
    alias: "accvraiz1",
    subject: "C=ES, O=ACCV, OU=PKIACCV, CN=ACCVRAIZ1",
    sha256: "9A:6E:C0:12:E1:A7:DA:9D:BE:34:19:4D:47:8A:D7:C0:DB:18:22:FB:07:1D:F1:29:81:49:6E:D1:04:38:41:13",
  },
  {
    alias: "acraizfnmtrcm",
    subject: "OU=AC RAIZ FNMT-RCM, O=FNMT-RCM, C=ES",
    sha256: "EB:C5:57:0C:29:01:8C:4D:67:B1:AA:12:7B:AF:12:F7:03:B4:61:1E:BC:17:B7:DA:B5:57:38:94:17:9B:93:FA",
  },
  {
    alias: "acraizfnmtrcmservidoresseguros",
    subject: "CN=AC RAIZ FNMT-RCM SERVIDORES SEGUROS, OID.2.5.4.97=VATES-Q2826004J, OU=Ceres, O=FNMT-RCM, C=ES",
    sha256: "55:41:53:B1:3D:2C:F9:DD:B7:53:BF:BE:1A:4E:0A:E0:8D:0A:A4:18:70:58:FE:60:A2:B8:62:B2:E4:B8:7B:CB",
  },
  {
    alias: "actalisauthenticationrootca",
    subject: "CN=Actalis Authentication Root CA, O=Actalis S.p.A./03358520967, L=Milan, C=IT",
    sha256: "55:92:60:84:EC:96:3A:64:B9:6E:2A:BE:01:CE:0B:A8:6A:64:FB:FE:BC:C7:AA:B5:AF:C1:55:B3:7F:D7:60:66",
  },
  {
    alias: "affirmtrustcommercial",
    subject: "CN=AffirmTrust Commercial, O=AffirmTrust, C=US",
    sha256: "03:76:AB:1D:54:C5:F9:80:3C:E4:B2:E2:01:A0:EE:7E:EF:7B:57:B6:36:E8:A9:3C:9B:8D:48:60:C9:6F:5F:A7",
  },
  {
    alias: "affirmtrustnetworking",
    subject: "CN=AffirmTrust Networking, O=AffirmTrust, C=US",
    sha256: "0A:81:EC:5A:92:97:77:F1:45:90:4A:F3:8D:5D:50:9F:66:B5:E2:C5:8F:CD:B5:31:05:8B:0E:17:F3:F0:B4:1B",
  },
  {
    alias: "affirmtrustpremium",
    subject: "CN=AffirmTrust Premium, O=AffirmTrust, C=US",
    sha256: "70:A7:3F:7F:37:6B:60:07:42:48:90:45:34:B1:14:82:D5:BF:0E:69:8E:CC:49:8D:F5:25:77:EB:F2:E9:3B:9A",
  },
  {
    alias: "affirmtrustpremiumecc",
    subject: "CN=AffirmTrust Premium ECC, O=AffirmTrust, C=US",
    sha256: "BD:71:FD:F6:DA:97:E4:CF:62:D1:64:7A:DD:25:81:B0:7D:79:AD:F8:39:7E:B4:EC:BA:9C:5E:84:88:82:14:23",
  },
  {
    alias: "amazonrootca1",
    subject: "CN=Amazon Root CA 1, O=Amazon, C=US",
    sha256: "8E:CD:E6:88:4F:3D:87:B1:12:5B:A3:1A:C3:FC:B1:3D:70:16:DE:7F:57:CC:90:4F:E1:CB:97:C6:AE:98:19:6E",
  },
  {
    alias: "amazonrootca2",
    subject: "CN=Amazon Root CA 2, O=Amazon, C=US",
    sha256: "1B:A5:B2:AA:8C:65:40:1A:82:96:01:18:F8:0B:EC:4F:62:30:4D:83:CE:C4:71:3A:19:C3:9C:01:1E:A4:6D:B4",
  },
  {
    alias: "amazonrootca3",
    subject: "CN=Amazon Root CA 3, O=Amazon, C=US",
    sha256: "18:CE:6C:FE:7B:F1:4E:60:B2:E3:47:B8:DF:E8:68:CB:31:D0:2E:BB:3A:DA:27:15:69:F5:03:43:B4:6D:B3:A4",
  },
  {
    alias: "amazonrootca4",
    subject: "CN=Amazon Root CA 4, O=Amazon, C=US",
    sha256: "E3:5D:28:41:9E:D0:20:25:CF:A6:90:38:CD:62:39:62:45:8D:A5:C6:95:FB:DE:A3:C2:2B:0B:FB:25:89:70:92",
  },
  {
    alias: "anfsecureserverrootca",
    subject:
      "CN=ANF Secure Server Root CA, OU=ANF CA Raiz, O=ANF Autoridad de Certificacion, C=ES, SERIALNUMBER=G63287510",
    sha256: "FB:8F:EC:75:91:69:B9:10:6B:1E:51:16:44:C6:18:C5:13:04:37:3F:6C:06:43:08:8D:8B:EF:FD:1B:99:75:99",
  },
  {
    alias: "atostrustedroot2011",
    subject: "C=DE, O=Atos, CN=Atos TrustedRoot 2011",
    sha256: "F3:56:BE:A2:44:B7:A9:1E:B3:5D:53:CA:9A:D7:86:4A:CE:01:8E:2D:35:D5:F8:F9:6D:DF:68:A6:F4:1A:A4:74",
  },
  {
    alias: "autoridaddecertificacionfirmaprofesionalcifa62634068",
    subject: "CN=Autoridad de Certificacion Firmaprofesional CIF A62634068, C=ES",
    sha256: "04:04:80:28:BF:1F:28:64:D4:8F:9A:D4:D8:32:94:36:6A:82:88:56:55:3F:3B:14:30:3F:90:14:7F:5D:40:EF",
  },
  {
    alias: "baltimorecybertrustroot",
    subject: "CN=Baltimore CyberTrust Root, OU=CyberTrust, O=Baltimore, C=IE",
    sha256: "16:AF:57:A9:F6:76:B0:AB:12:60:95:AA:5E:BA:DE:F2:2A:B3:11:19:D6:44:AC:95:CD:4B:93:DB:F3:F2:6A:EB",
  },
  {
    alias: "buypassclass2rootca",
    subject: "CN=Buypass Class 2 Root CA, O=Buypass AS-983163327, C=NO",
    sha256: "9A:11:40:25:19:7C:5B:B9:5D:94:E6:3D:55:CD:43:79:08:47:B6:46:B2:3C:DF:11:AD:A4:A0:0E:FF:15:FB:48",
  },
  {
    alias: "buypassclass3rootca",
    subject: "CN=Buypass Class 3 Root CA, O=Buypass AS-983163327, C=NO",
    sha256: "ED:F7:EB:BC:A2:7A:2A:38:4D:38:7B:7D:40:10:C6:66:E2:ED:B4:84:3E:4C:29:B4:AE:1D:5B:93:32:E6:B2:4D",
  },
  {
    alias: "cadisigrootr2",
    subject: "CN=CA Disig Root R2, O=Disig a.s., L=Bratislava, C=SK",
    sha256: "E2:3D:4A:03:6D:7B:70:E9:F5:95:B1:42:20:79:D2:B9:1E:DF:BB:1F:B6:51:A0:63:3E:AA:8A:9D:C5:F8:07:03",
  },
  {
    alias: "certigna",
    subject: "CN=Certigna, O=Dhimyotis, C=FR",
    sha256: "E3:B6:A2:DB:2E:D7:CE:48:84:2F:7A:C5:32:41:C7:B7:1D:54:14:4B:FB:40:C1:1F:3F:1D:0B:42:F5:EE:A1:2D",
  },
  {
    alias: "certignarootca",
    subject: "CN=Certigna Root CA, OU=0002 48146308100036, O=Dhimyotis, C=FR",
    sha256: "D4:8D:3D:23:EE:DB:50:A4:59:E5:51:97:60:1C:27:77:4B:9D:7B:18:C9:4D:5A:05:95:11:A1:02:50:B9:31:68",
  },
  {
    alias: "certsignrootca",
    subject: "OU=certSIGN ROOT CA, O=certSIGN, C=RO",
    sha256: "EA:A9:62:C4:FA:4A:6B:AF:EB:E4:15:19:6D:35:1C:CD:88:8D:4F:53:F3:FA:8A:E6:D7:C4:66:A9:4E:60:42:BB",
  },
  {
    alias: "certsignrootcag2",
    subject: "OU=certSIGN ROOT CA G2, O=CERTSIGN SA, C=RO",
    sha256: "65:7C:FE:2F:A7:3F:AA:38:46:25:71:F3:32:A2:36:3A:46:FC:E7:02:09:51:71:07:02:CD:FB:B6:EE:DA:33:05",
  },
  {
    alias: "certumec384ca",
    subject: "CN=Certum EC-384 CA, OU=Certum Certification Authority, O=Asseco Data Systems S.A., C=PL",
    sha256: "6B:32:80:85:62:53:18:AA:50:D1:73:C9:8D:8B:DA:09:D5:7E:27:41:3D:11:4C:F7:87:A0:F5:D0:6C:03:0C:F6",
  },
  {
    alias: "certumtrustednetworkca",
    subject: "CN=Certum Trusted Network CA, OU=Certum Certification Authority, O=Unizeto Technologies S.A., C=PL",
    sha256: "5C:58:46:8D:55:F5:8E:49:7E:74:39:82:D2:B5:00:10:B6:D1:65:37:4A:CF:83:A7:D4:A3:2D:B7:68:C4:40:8E",
  },
  {
    alias: "certumtrustednetworkca2",
    subject: "CN=Certum Trusted Network CA 2, OU=Certum Certification Authority, O=Unizeto Technologies S.A., C=PL",
    sha256: "B6:76:F2:ED:DA:E8:77:5C:D3:6C:B0:F6:3C:D1:D4:60:39:61:F4:9E:62:65:BA:01:3A:2F:03:07:B6:D0:B8:04",
  },
  {
    alias: "certumtrustedrootca",
    subject: "CN=Certum Trusted Root CA, OU=Certum Certification Authority, O=Asseco Data Systems S.A., C=PL",
    sha256: "FE:76:96:57:38:55:77:3E:37:A9:5E:7A:D4:D9:CC:96:C3:01:57:C1:5D:31:76:5B:A9:B1:57:04:E1:AE:78:FD",
  },
  {
    alias: "cfcaevroot",
    subject: "CN=CFCA EV ROOT, O=China Financial Certification Authority, C=CN",
    sha256: "5C:C3:D7:8E:4E:1D:5E:45:54:7A:04:E6:87:3E:64:F9:0C:F9:53:6D:1C:CC:2E:F8:00:F3:55:C4:C5:FD:70:FD",
  },
  {
    alias: "comodoaaaservicesroot",
    subject: "CN=AAA Certificate Services, O=Comodo CA Limited, L=Salford, ST=Greater Manchester, C=GB",
    sha256: "D7:A7:A0:FB:5D:7E:27:31:D7:71:E9:48:4E:BC:DE:F7:1D:5F:0C:3E:0A:29:48:78:2B:C8:3E:E0:EA:69:9E:F4",
  },
  {
    alias: "comodocertificationauthority",
    subject: "CN=COMODO Certification Authority, O=COMODO CA Limited, L=Salford, ST=Greater Manchester, C=GB",
    sha256: "0C:2C:D6:3D:F7:80:6F:A3:99:ED:E8:09:11:6B:57:5B:F8:79:89:F0:65:18:F9:80:8C:86:05:03:17:8B:AF:66",
  },
  {
    alias: "comodoecccertificationauthority",
    subject: "CN=COMODO ECC Certification Authority, O=COMODO CA Limited, L=Salford, ST=Greater Manchester, C=GB",
    sha256: "17:93:92:7A:06:14:54:97:89:AD:CE:2F:8F:34:F7:F0:B6:6D:0F:3A:E3:A3:B8:4D:21:EC:15:DB:BA:4F:AD:C7",
  },
  {
    alias: "comodorsacertificationauthority",
    subject: "CN=COMODO RSA Certification Authority, O=COMODO CA Limited, L=Salford, ST=Greater Manchester, C=GB",
    sha256: "52:F0:E1:C4:E5:8E:C6:29:29:1B:60:31:7F:07:46:71:B8:5D:7E:A8:0D:5B:07:27:34:63:53:4B:32:B4:02:34",
  },
  {
    alias: "cybertrustglobalroot",
    subject: 'CN=Cybertrust Global Root, O="Cybertrust, Inc"',
    sha256: "96:0A:DF:00:63:E9:63:56:75:0C:29:65:DD:0A:08:67:DA:0B:9C:BD:6E:77:71:4A:EA:FB:23:49:AB:39:3D:A3",
  },
  {
    alias: "digicertassuredidrootca",
    subject: "CN=DigiCert Assured ID Root CA, OU=www.digicert.com, O=DigiCert Inc, C=US",
    sha256: "3E:90:99:B5:01:5E:8F:48:6C:00:BC:EA:9D:11:1E:E7:21:FA:BA:35:5A:89:BC:F1:DF:69:56:1E:3D:C6:32:5C",
  },
  {
    alias: "digicertassuredidrootg2",
    subject: "CN=DigiCert Assured ID Root G2, OU=www.digicert.com, O=DigiCert Inc, C=US",
    sha256: "7D:05:EB:B6:82:33:9F:8C:94:51:EE:09:4E:EB:FE:FA:79:53:A1:14:ED:B2:F4:49:49:45:2F:AB:7D:2F:C1:85",
  },
  {
    alias: "digicertassuredidrootg3",
    subject: "CN=DigiCert Assured ID Root G3, OU=www.digicert.com, O=DigiCert Inc, C=US",
    sha256: "7E:37:CB:8B:4C:47:09:0C:AB:36:55:1B:A6:F4:5D:B8:40:68:0F:BA:16:6A:95:2D:B1:00:71:7F:43:05:3F:C2",
  },
  {
    alias: "digicertglobalrootca",
    subject: "CN=DigiCert Global Root CA, OU=www.digicert.com, O=DigiCert Inc, C=US",
    sha256: "43:48:A0:E9:44:4C:78:CB:26:5E:05:8D:5E:89:44:B4:D8:4F:96:62:BD:26:DB:25:7F:89:34:A4:43:C7:01:61",
  },
  {
    alias: "digicertglobalrootg2",
    subject: "CN=DigiCert Global Root G2, OU=www.digicert.com, O=DigiCert Inc, C=US",
    sha256: "CB:3C:CB:B7:60:31:E5:E0:13:8F:8D:D3:9A:23:F9:DE:47:FF:C3:5E:43:C1:14:4C:EA:27:D4:6A:5A:B1:CB:5F",
  },
  {
    alias: "digicertglobalrootg3",
    subject: "CN=DigiCert Global Root G3, OU=www.digicert.com, O=DigiCert Inc, C=US",
    sha256: "31:AD:66:48:F8:10:41:38:C7:38:F3:9E:A4:32:01:33:39:3E:3A:18:CC:02:29:6E:F9:7C:2A:C9:EF:67:31:D0",
  },
  {
    alias: "digicerthighassuranceevrootca",
    subject: "CN=DigiCert High Assurance EV Root CA, OU=www.digicert.com, O=DigiCert Inc, C=US",
    sha256: "74:31:E5:F4:C3:C1:CE:46:90:77:4F:0B:61:E0:54:40:88:3B:A9:A0:1E:D0:0B:A6:AB:D7:80:6E:D3:B1:18:CF",
  },
  {
    alias: "digicerttrustedrootg4",
    subject: "CN=DigiCert Trusted Root G4, OU=www.digicert.com, O=DigiCert Inc, C=US",
    sha256: "55:2F:7B:DC:F1:A7:AF:9E:6C:E6:72:01:7F:4F:12:AB:F7:72:40:C7:8E:76:1A:C2:03:D1:D9:D2:0A:C8:99:88",
  },
  {
    alias: "dtrustrootclass3ca22009",
    subject: "CN=D-TRUST Root Class 3 CA 2 2009, O=D-Trust GmbH, C=DE",
    sha256: "49:E7:A4:42:AC:F0:EA:62:87:05:00:54:B5:25:64:B6:50:E4:F4:9E:42:E3:48:D6:AA:38:E0:39:E9:57:B1:C1",
  },
  {
    alias: "dtrustrootclass3ca2ev2009",
    subject: "CN=D-TRUST Root Class 3 CA 2 EV 2009, O=D-Trust GmbH, C=DE",
    sha256: "EE:C5:49:6B:98:8C:E9:86:25:B9:34:09:2E:EC:29:08:BE:D0:B0:F3:16:C2:D4:73:0C:84:EA:F1:F3:D3:48:81",
  },
  {
    alias: "ecacc",
    subject:
      "CN=EC-ACC, OU=Jerarquia Entitats de Certificacio Catalanes, OU=Vegeu https://www.catcert.net/verarrel (c)03, OU=Serveis Publics de Certificacio, O=Agencia Catalana de Certificacio (NIF Q-0801176-I), C=ES",
    sha256: "88:49:7F:01:60:2F:31:54:24:6A:E2:8C:4D:5A:EF:10:F1:D8:7E:BB:76:62:6F:4A:E0:B7:F9:5B:A7:96:87:99",
  },
  {
    alias: "emsigneccrootcac3",
    subject: "CN=emSign ECC Root CA - C3, O=eMudhra Inc, OU=emSign PKI, C=US",
    sha256: "BC:4D:80:9B:15:18:9D:78:DB:3E:1D:8C:F4:F9:72:6A:79:5D:A1:64:3C:A5:F1:35:8E:1D:DB:0E:DC:0D:7E:B3",
  },
  {
    alias: "emsigneccrootcag3",
    subject: "CN=emSign ECC Root CA - G3, O=eMudhra Technologies Limited, OU=emSign PKI, C=IN",
    sha256: "86:A1:EC:BA:08:9C:4A:8D:3B:BE:27:34:C6:12:BA:34:1D:81:3E:04:3C:F9:E8:A8:62:CD:5C:57:A3:6B:BE:6B",
  },
  {
    alias: "emsignrootcac1",
    subject: "CN=emSign Root CA - C1, O=eMudhra Inc, OU=emSign PKI, C=US",
    sha256: "12:56:09:AA:30:1D:A0:A2:49:B9:7A:82:39:CB:6A:34:21:6F:44:DC:AC:9F:39:54:B1:42:92:F2:E8:C8:60:8F",
  },
  {
    alias: "emsignrootcag1",
    subject: "CN=emSign Root CA - G1, O=eMudhra Technologies Limited, OU=emSign PKI, C=IN",
    sha256: "40:F6:AF:03:46:A9:9A:A1:CD:1D:55:5A:4E:9C:CE:62:C7:F9:63:46:03:EE:40:66:15:83:3D:C8:C8:D0:03:67",
  },
  {
    alias: "entrustnetpremium2048secureserverca",
    subject:
      "CN=Entrust.net Certification Authority (2048), OU=(c) 1999 Entrust.net Limited, OU=www.entrust.net/CPS_2048 incorp. by ref. (limits liab.), O=Entrust.net",
    sha256: "6D:C4:71:72:E0:1C:BC:B0:BF:62:58:0D:89:5F:E2:B8:AC:9A:D4:F8:73:80:1E:0C:10:B9:C8:37:D2:1E:B1:77",
  },
  {
    alias: "entrustrootcertificationauthority",
    subject:
      'CN=Entrust Root Certification Authority, OU="(c) 2006 Entrust, Inc.", OU=www.entrust.net/CPS is incorporated by reference, O="Entrust, Inc.", C=US',
    sha256: "73:C1:76:43:4F:1B:C6:D5:AD:F4:5B:0E:76:E7:27:28:7C:8D:E5:76:16:C1:E6:E6:14:1A:2B:2C:BC:7D:8E:4C",
  },
  {
    alias: "entrustrootcertificationauthorityec1",
    subject:
      'CN=Entrust Root Certification Authority - EC1, OU="(c) 2012 Entrust, Inc. - for authorized use only", OU=See www.entrust.net/legal-terms, O="Entrust, Inc.", C=US',
    sha256: "02:ED:0E:B2:8C:14:DA:45:16:5C:56:67:91:70:0D:64:51:D7:FB:56:F0:B2:AB:1D:3B:8E:B0:70:E5:6E:DF:F5",
  },
  {
    alias: "entrustrootcertificationauthorityg2",
    subject:
      'CN=Entrust Root Certification Authority - G2, OU="(c) 2009 Entrust, Inc. - for authorized use only", OU=See www.entrust.net/legal-terms, O="Entrust, Inc.", C=US',
    sha256: "43:DF:57:74:B0:3E:7F:EF:5F:E4:0D:93:1A:7B:ED:F1:BB:2E:6B:42:73:8C:4E:6D:38:41:10:3D:3A:A7:F3:39",
  },
  {
    alias: "entrustrootcertificationauthorityg4",
    subject:
      'CN=Entrust Root Certification Authority - G4, OU="(c) 2015 Entrust, Inc. - for authorized use only", OU=See www.entrust.net/legal-terms, O="Entrust, Inc.", C=US',
    sha256: "DB:35:17:D1:F6:73:2A:2D:5A:B9:7C:53:3E:C7:07:79:EE:32:70:A6:2F:B4:AC:42:38:37:24:60:E6:F0:1E:88",
  },
  {
    alias: "epkirootcertificationauthority",
    subject: 'OU=ePKI Root Certification Authority, O="Chunghwa Telecom Co., Ltd.", C=TW',
    sha256: "C0:A6:F4:DC:63:A2:4B:FD:CF:54:EF:2A:6A:08:2A:0A:72:DE:35:80:3E:2F:F5:FF:52:7A:E5:D8:72:06:DF:D5",
  },
  {
    alias: "eszignorootca2017",
    subject: "CN=e-Szigno Root CA 2017, OID.2.5.4.97=VATHU-23584497, O=Microsec Ltd., L=Budapest, C=HU",
    sha256: "BE:B0:0B:30:83:9B:9B:C3:2C:32:E4:44:79:05:95:06:41:F2:64:21:B1:5E:D0:89:19:8B:51:8A:E2:EA:1B:99",
  },
  {
    alias: "etugracertificationauthority",
    subject:
      "CN=E-Tugra Certification Authority, OU=E-Tugra Sertifikasyon Merkezi, O=E-Tu\u011fra EBG Bili\u015fim Teknolojileri ve Hizmetleri A.\u015e., L=Ankara, C=TR",
    sha256: "B0:BF:D5:2B:B0:D7:D9:BD:92:BF:5D:4D:C1:3D:A2:55:C0:2C:54:2F:37:83:65:EA:89:39:11:F5:5E:55:F2:3C",
  },
  {
    alias: "gdcatrustauthr5root",
    subject: 'CN=GDCA TrustAUTH R5 ROOT, O="GUANG DONG CERTIFICATE AUTHORITY CO.,LTD.", C=CN',
    sha256: "BF:FF:8F:D0:44:33:48:7D:6A:8A:A6:0C:1A:29:76:7A:9F:C2:BB:B0:5E:42:0F:71:3A:13:B9:92:89:1D:38:93",
  },
  {
    alias: "globalsigneccrootcar4",
    subject: "CN=GlobalSign, O=GlobalSign, OU=GlobalSign ECC Root CA - R4",
    sha256: "BE:C9:49:11:C2:95:56:76:DB:6C:0A:55:09:86:D7:6E:3B:A0:05:66:7C:44:2C:97:62:B4:FB:B7:73:DE:22:8C",
  },
  {
    alias: "globalsigneccrootcar5",
    subject: "CN=GlobalSign, O=GlobalSign, OU=GlobalSign ECC Root CA - R5",
    sha256: "17:9F:BC:14:8A:3D:D0:0F:D2:4E:A1:34:58:CC:43:BF:A7:F5:9C:81:82:D7:83:A5:13:F6:EB:EC:10:0C:89:24",
  },
  {
    alias: "globalsignrootca",
    subject: "CN=GlobalSign Root CA, OU=Root CA, O=GlobalSign nv-sa, C=BE",
    sha256: "EB:D4:10:40:E4:BB:3E:C7:42:C9:E3:81:D3:1E:F2:A4:1A:48:B6:68:5C:96:E7:CE:F3:C1:DF:6C:D4:33:1C:99",
  },
  {
    alias: "globalsignrootcar2",
    subject: "CN=GlobalSign, O=GlobalSign, OU=GlobalSign Root CA - R2",
    sha256: "CA:42:DD:41:74:5F:D0:B8:1E:B9:02:36:2C:F9:D8:BF:71:9D:A1:BD:1B:1E:FC:94:6F:5B:4C:99:F4:2C:1B:9E",
  },
  {
    alias: "globalsignrootcar3",
    subject: "CN=GlobalSign, O=GlobalSign, OU=GlobalSign Root CA - R3",
    sha256: "CB:B5:22:D7:B7:F1:27:AD:6A:01:13:86:5B:DF:1C:D4:10:2E:7D:07:59:AF:63:5A:7C:F4:72:0D:C9:63:C5:3B",
  },
  {
    alias: "globalsignrootcar6",
    subject: "CN=GlobalSign, O=GlobalSign, OU=GlobalSign Root CA - R6",
    sha256: "2C:AB:EA:FE:37:D0:6C:A2:2A:BA:73:91:C0:03:3D:25:98:29:52:C4:53:64:73:49:76:3A:3A:B5:AD:6C:CF:69",
  },
  {
    alias: "globalsignroote46",
    subject: "CN=GlobalSign Root E46, O=GlobalSign nv-sa, C=BE",
    sha256: "CB:B9:C4:4D:84:B8:04:3E:10:50:EA:31:A6:9F:51:49:55:D7:BF:D2:E2:C6:B4:93:01:01:9A:D6:1D:9F:50:58",
  },
  {
    alias: "globalsignrootr46",
    subject: "CN=GlobalSign Root R46, O=GlobalSign nv-sa, C=BE",
    sha256: "4F:A3:12:6D:8D:3A:11:D1:C4:85:5A:4F:80:7C:BA:D6:CF:91:9D:3A:5A:88:B0:3B:EA:2C:63:72:D9:3C:40:C9",
  },
  {
    alias: "globaltrust2020",
    subject: "CN=GLOBALTRUST 2020, O=e-commerce monitoring GmbH, C=AT",
    sha256: "9A:29:6A:51:82:D1:D4:51:A2:E3:7F:43:9B:74:DA:AF:A2:67:52:33:29:F9:0F:9A:0D:20:07:C3:34:E2:3C:9A",
  },
  {
    alias: "godaddyclass2ca",
    subject: 'OU=Go Daddy Class 2 Certification Authority, O="The Go Daddy Group, Inc.", C=US',
    sha256: "C3:84:6B:F2:4B:9E:93:CA:64:27:4C:0E:C6:7C:1E:CC:5E:02:4F:FC:AC:D2:D7:40:19:35:0E:81:FE:54:6A:E4",
  },
  {
    alias: "godaddyrootcertificateauthorityg2",
    subject: 'CN=Go Daddy Root Certificate Authority - G2, O="GoDaddy.com, Inc.", L=Scottsdale, ST=Arizona, C=US',
    sha256: "45:14:0B:32:47:EB:9C:C8:C5:B4:F0:D7:B5:30:91:F7:32:92:08:9E:6E:5A:63:E2:74:9D:D3:AC:A9:19:8E:DA",
  },
  {
    alias: "gtsrootr1",
    subject: "CN=GTS Root R1, O=Google Trust Services LLC, C=US",
    sha256: "2A:57:54:71:E3:13:40:BC:21:58:1C:BD:2C:F1:3E:15:84:63:20:3E:CE:94:BC:F9:D3:CC:19:6B:F0:9A:54:72",
  },
  {
    alias: "gtsrootr2",
    subject: "CN=GTS Root R2, O=Google Trust Services LLC, C=US",
    sha256: "C4:5D:7B:B0:8E:6D:67:E6:2E:42:35:11:0B:56:4E:5F:78:FD:92:EF:05:8C:84:0A:EA:4E:64:55:D7:58:5C:60",
  },
  {
    alias: "gtsrootr3",
    subject: "CN=GTS Root R3, O=Google Trust Services LLC, C=US",
    sha256: "15:D5:B8:77:46:19:EA:7D:54:CE:1C:A6:D0:B0:C4:03:E0:37:A9:17:F1:31:E8:A0:4E:1E:6B:7A:71:BA:BC:E5",
  },
  {
    alias: "gtsrootr4",
    subject: "CN=GTS Root R4, O=Google Trust Services LLC, C=US",
    sha256: "71:CC:A5:39:1F:9E:79:4B:04:80:25:30:B3:63:E1:21:DA:8A:30:43:BB:26:66:2F:EA:4D:CA:7F:C9:51:A4:BD",
  },
  {
    alias: "haricatlseccrootca2021",
    subject: "CN=HARICA TLS ECC Root CA 2021, O=Hellenic Academic and Research Institutions CA, C=GR",
    sha256: "3F:99:CC:47:4A:CF:CE:4D:FE:D5:87:94:66:5E:47:8D:15:47:73:9F:2E:78:0F:1B:B4:CA:9B:13:30:97:D4:01",
  },
  {
    alias: "haricatlsrsarootca2021",
    subject: "CN=HARICA TLS RSA Root CA 2021, O=Hellenic Academic and Research Institutions CA, C=GR",
    sha256: "D9:5D:0E:8E:DA:79:52:5B:F9:BE:B1:1B:14:D2:10:0D:32:94:98:5F:0C:62:D9:FA:BD:9C:D9:99:EC:CB:7B:1D",
  },
  {
    alias: "hellenicacademicandresearchinstitutionseccrootca2015",
    subject:
      "CN=Hellenic Academic and Research Institutions ECC RootCA 2015, O=Hellenic Academic and Research Institutions Cert. Authority, L=Athens, C=GR",
    sha256: "44:B5:45:AA:8A:25:E6:5A:73:CA:15:DC:27:FC:36:D2:4C:1C:B9:95:3A:06:65:39:B1:15:82:DC:48:7B:48:33",
  },
  {
    alias: "hellenicacademicandresearchinstitutionsrootca2011",
    subject:
      "CN=Hellenic Academic and Research Institutions RootCA 2011, O=Hellenic Academic and Research Institutions Cert. Authority, C=GR",
    sha256: "BC:10:4F:15:A4:8B:E7:09:DC:A5:42:A7:E1:D4:B9:DF:6F:05:45:27:E8:02:EA:A9:2D:59:54:44:25:8A:FE:71",
  },
  {
    alias: "hellenicacademicandresearchinstitutionsrootca2015",
    subject:
      "CN=Hellenic Academic and Research Institutions RootCA 2015, O=Hellenic Academic and Research Institutions Cert. Authority, L=Athens, C=GR",
    sha256: "A0:40:92:9A:02:CE:53:B4:AC:F4:F2:FF:C6:98:1C:E4:49:6F:75:5E:6D:45:FE:0B:2A:69:2B:CD:52:52:3F:36",
  },
  {
    alias: "hongkongpostrootca1",
    subject: "CN=Hongkong Post Root CA 1, O=Hongkong Post, C=HK",
    sha256: "F9:E6:7D:33:6C:51:00:2A:C0:54:C6:32:02:2D:66:DD:A2:E7:E3:FF:F1:0A:D0:61:ED:31:D8:BB:B4:10:CF:B2",
  },
  {
    alias: "hongkongpostrootca3",
    subject: "CN=Hongkong Post Root CA 3, O=Hongkong Post, L=Hong Kong, ST=Hong Kong, C=HK",
    sha256: "5A:2F:C0:3F:0C:83:B0:90:BB:FA:40:60:4B:09:88:44:6C:76:36:18:3D:F9:84:6E:17:10:1A:44:7F:B8:EF:D6",
  },
  {
    alias: "identrustcommercialrootca1",
    subject: "CN=IdenTrust Commercial Root CA 1, O=IdenTrust, C=US",
    sha256: "5D:56:49:9B:E4:D2:E0:8B:CF:CA:D0:8A:3E:38:72:3D:50:50:3B:DE:70:69:48:E4:2F:55:60:30:19:E5:28:AE",
  },
  {
    alias: "identrustpublicsectorrootca1",
    subject: "CN=IdenTrust Public Sector Root CA 1, O=IdenTrust, C=US",
    sha256: "30:D0:89:5A:9A:44:8A:26:20:91:63:55:22:D1:F5:20:10:B5:86:7A:CA:E1:2C:78:EF:95:8F:D4:F4:38:9F:2F",
  },
  {
    alias: "isrgrootx1",
    subject: "CN=ISRG Root X1, O=Internet Security Research Group, C=US",
    sha256: "96:BC:EC:06:26:49:76:F3:74:60:77:9A:CF:28:C5:A7:CF:E8:A3:C0:AA:E1:1A:8F:FC:EE:05:C0:BD:DF:08:C6",
  },
  {
    alias: "izenpecom",
    subject: "CN=Izenpe.com, O=IZENPE S.A., C=ES",
    sha256: "25:30:CC:8E:98:32:15:02:BA:D9:6F:9B:1F:BA:1B:09:9E:2D:29:9E:0F:45:48:BB:91:4F:36:3B:C0:D4:53:1F",
  },
  {
    alias: "microseceszignorootca2009",
    subject: "EMAILADDRESS=info@e-szigno.hu, CN=Microsec e-Szigno Root CA 2009, O=Microsec Ltd., L=Budapest, C=HU",
    sha256: "3C:5F:81:FE:A5:FA:B8:2C:64:BF:A2:EA:EC:AF:CD:E8:E0:77:FC:86:20:A7:CA:E5:37:16:3D:F3:6E:DB:F3:78",
  },
  {
    alias: "microsofteccrootcertificateauthority2017",
    subject: "CN=Microsoft ECC Root Certificate Authority 2017, O=Microsoft Corporation, C=US",
    sha256: "35:8D:F3:9D:76:4A:F9:E1:B7:66:E9:C9:72:DF:35:2E:E1:5C:FA:C2:27:AF:6A:D1:D7:0E:8E:4A:6E:DC:BA:02",
  },
  {
    alias: "microsoftrsarootcertificateauthority2017",
    subject: "CN=Microsoft RSA Root Certificate Authority 2017, O=Microsoft Corporation, C=US",
    sha256: "C7:41:F7:0F:4B:2A:8D:88:BF:2E:71:C1:41:22:EF:53:EF:10:EB:A0:CF:A5:E6:4C:FA:20:F4:18:85:30:73:E0",
  },
  {
    alias: "naverglobalrootcertificationauthority",
    subject: "CN=NAVER Global Root Certification Authority, O=NAVER BUSINESS PLATFORM Corp., C=KR",
    sha256: "88:F4:38:DC:F8:FF:D1:FA:8F:42:91:15:FF:E5:F8:2A:E1:E0:6E:0C:70:C3:75:FA:AD:71:7B:34:A4:9E:72:65",
  },
  {
    alias: "netlockaranyclassgoldfotanusitvany",
    subject:
      "CN=NetLock Arany (Class Gold) F\u0151tan\u00fas\u00edtv\u00e1ny, OU=Tan\u00fas\u00edtv\u00e1nykiad\u00f3k (Certification Services), O=NetLock Kft., L=Budapest, C=HU",
    sha256: "6C:61:DA:C3:A2:DE:F0:31:50:6B:E0:36:D2:A6:FE:40:19:94:FB:D1:3D:F9:C8:D4:66:59:92:74:C4:46:EC:98",
  },
  {
    alias: "networksolutionscertificateauthority",
    subject: "CN=Network Solutions Certificate Authority, O=Network Solutions L.L.C., C=US",
    sha256: "15:F0:BA:00:A3:AC:7A:F3:AC:88:4C:07:2B:10:11:A0:77:BD:77:C0:97:F4:01:64:B2:F8:59:8A:BD:83:86:0C",
  },
  {
    alias: "oistewisekeyglobalrootgbca",
    subject: "CN=OISTE WISeKey Global Root GB CA, OU=OISTE Foundation Endorsed, O=WISeKey, C=CH",
    sha256: "6B:9C:08:E8:6E:B0:F7:67:CF:AD:65:CD:98:B6:21:49:E5:49:4A:67:F5:84:5E:7B:D1:ED:01:9F:27:B8:6B:D6",
  },
  {
    alias: "oistewisekeyglobalrootgcca",
    subject: "CN=OISTE WISeKey Global Root GC CA, OU=OISTE Foundation Endorsed, O=WISeKey, C=CH",
    sha256: "85:60:F9:1C:36:24:DA:BA:95:70:B5:FE:A0:DB:E3:6F:F1:1A:83:23:BE:94:86:85:4F:B3:F3:4A:55:71:19:8D",
  },
  {
    alias: "quovadisrootca1g3",
    subject: "CN=QuoVadis Root CA 1 G3, O=QuoVadis Limited, C=BM",
    sha256: "8A:86:6F:D1:B2:76:B5:7E:57:8E:92:1C:65:82:8A:2B:ED:58:E9:F2:F2:88:05:41:34:B7:F1:F4:BF:C9:CC:74",
  },
  {
    alias: "quovadisrootca2",
    subject: "CN=QuoVadis Root CA 2, O=QuoVadis Limited, C=BM",
    sha256: "85:A0:DD:7D:D7:20:AD:B7:FF:05:F8:3D:54:2B:20:9D:C7:FF:45:28:F7:D6:77:B1:83:89:FE:A5:E5:C4:9E:86",
  },
  {
    alias: "quovadisrootca2g3",
    subject: "CN=QuoVadis Root CA 2 G3, O=QuoVadis Limited, C=BM",
    sha256: "8F:E4:FB:0A:F9:3A:4D:0D:67:DB:0B:EB:B2:3E:37:C7:1B:F3:25:DC:BC:DD:24:0E:A0:4D:AF:58:B4:7E:18:40",
  },
  {
    alias: "quovadisrootca3",
    subject: "CN=QuoVadis Root CA 3, O=QuoVadis Limited, C=BM",
    sha256: "18:F1:FC:7F:20:5D:F8:AD:DD:EB:7F:E0:07:DD:57:E3:AF:37:5A:9C:4D:8D:73:54:6B:F4:F1:FE:D1:E1:8D:35",
  },
  {
    alias: "quovadisrootca3g3",
    subject: "CN=QuoVadis Root CA 3 G3, O=QuoVadis Limited, C=BM",
    sha256: "88:EF:81:DE:20:2E:B0:18:45:2E:43:F8:64:72:5C:EA:5F:BD:1F:C2:D9:D2:05:73:07:09:C5:D8:B8:69:0F:46",
  },
  {
    alias: "secureglobalca",
    subject: "CN=Secure Global CA, O=SecureTrust Corporation, C=US",
    sha256: "42:00:F5:04:3A:C8:59:0E:BB:52:7D:20:9E:D1:50:30:29:FB:CB:D4:1C:A1:B5:06:EC:27:F1:5A:DE:7D:AC:69",
  },
  {
    alias: "securesignrootca11",
    subject: 'CN=SecureSign RootCA11, O="Japan Certification Services, Inc.", C=JP',
    sha256: "BF:0F:EE:FB:9E:3A:58:1A:D5:F9:E9:DB:75:89:98:57:43:D2:61:08:5C:4D:31:4F:6F:5D:72:59:AA:42:16:12",
  },
  {
    alias: "securetrustca",
    subject: "CN=SecureTrust CA, O=SecureTrust Corporation, C=US",
    sha256: "F1:C1:B5:0A:E5:A2:0D:D8:03:0E:C9:F6:BC:24:82:3D:D3:67:B5:25:57:59:B4:E7:1B:61:FC:E9:F7:37:5D:73",
  },
  {
    alias: "securitycommunicationrootca",
    subject: "OU=Security Communication RootCA1, O=SECOM Trust.net, C=JP",
    sha256: "E7:5E:72:ED:9F:56:0E:EC:6E:B4:80:00:73:A4:3F:C3:AD:19:19:5A:39:22:82:01:78:95:97:4A:99:02:6B:6C",
  },
  {
    alias: "securitycommunicationrootca2",
    subject: 'OU=Security Communication RootCA2, O="SECOM Trust Systems CO.,LTD.", C=JP',
    sha256: "51:3B:2C:EC:B8:10:D4:CD:E5:DD:85:39:1A:DF:C6:C2:DD:60:D8:7B:B7:36:D2:B5:21:48:4A:A4:7A:0E:BE:F6",
  },
  {
    alias: "sslcomevrootcertificationauthorityecc",
    subject: "CN=SSL.com EV Root Certification Authority ECC, O=SSL Corporation, L=Houston, ST=Texas, C=US",
    sha256: "22:A2:C1:F7:BD:ED:70:4C:C1:E7:01:B5:F4:08:C3:10:88:0F:E9:56:B5:DE:2A:4A:44:F9:9C:87:3A:25:A7:C8",
  },
  {
    alias: "sslcomevrootcertificationauthorityrsar2",
    subject: "CN=SSL.com EV Root Certification Authority RSA R2, O=SSL Corporation, L=Houston, ST=Texas, C=US",
    sha256: "2E:7B:F1:6C:C2:24:85:A7:BB:E2:AA:86:96:75:07:61:B0:AE:39:BE:3B:2F:E9:D0:CC:6D:4E:F7:34:91:42:5C",
  },
  {
    alias: "sslcomrootcertificationauthorityecc",
    subject: "CN=SSL.com Root Certification Authority ECC, O=SSL Corporation, L=Houston, ST=Texas, C=US",
    sha256: "34:17:BB:06:CC:60:07:DA:1B:96:1C:92:0B:8A:B4:CE:3F:AD:82:0E:4A:A3:0B:9A:CB:C4:A7:4E:BD:CE:BC:65",
  },
  {
    alias: "sslcomrootcertificationauthorityrsa",
    subject: "CN=SSL.com Root Certification Authority RSA, O=SSL Corporation, L=Houston, ST=Texas, C=US",
    sha256: "85:66:6A:56:2E:E0:BE:5C:E9:25:C1:D8:89:0A:6F:76:A8:7E:C1:6D:4D:7D:5F:29:EA:74:19:CF:20:12:3B:69",
  },
  {
    alias: "staatdernederlandenevrootca",
    subject: "CN=Staat der Nederlanden EV Root CA, O=Staat der Nederlanden, C=NL",
    sha256: "4D:24:91:41:4C:FE:95:67:46:EC:4C:EF:A6:CF:6F:72:E2:8A:13:29:43:2F:9D:8A:90:7A:C4:CB:5D:AD:C1:5A",
  },
  {
    alias: "starfieldclass2ca",
    subject: 'OU=Starfield Class 2 Certification Authority, O="Starfield Technologies, Inc.", C=US',
    sha256: "14:65:FA:20:53:97:B8:76:FA:A6:F0:A9:95:8E:55:90:E4:0F:CC:7F:AA:4F:B7:C2:C8:67:75:21:FB:5F:B6:58",
  },
  {
    alias: "starfieldrootcertificateauthorityg2",
    subject:
      'CN=Starfield Root Certificate Authority - G2, O="Starfield Technologies, Inc.", L=Scottsdale, ST=Arizona, C=US',
    sha256: "2C:E1:CB:0B:F9:D2:F9:E1:02:99:3F:BE:21:51:52:C3:B2:DD:0C:AB:DE:1C:68:E5:31:9B:83:91:54:DB:B7:F5",
  },
  {
    alias: "starfieldservicesrootcertificateauthorityg2",
    subject:
      'CN=Starfield Services Root Certificate Authority - G2, O="Starfield Technologies, Inc.", L=Scottsdale, ST=Arizona, C=US',
    sha256: "56:8D:69:05:A2:C8:87:08:A4:B3:02:51:90:ED:CF:ED:B1:97:4A:60:6A:13:C6:E5:29:0F:CB:2A:E6:3E:DA:B5",
  },
  {
    alias: "swisssigngoldcag2",
    subject: "CN=SwissSign Gold CA - G2, O=SwissSign AG, C=CH",
    sha256: "62:DD:0B:E9:B9:F5:0A:16:3E:A0:F8:E7:5C:05:3B:1E:CA:57:EA:55:C8:68:8F:64:7C:68:81:F2:C8:35:7B:95",
  },
  {
    alias: "swisssignsilvercag2",
    subject: "CN=SwissSign Silver CA - G2, O=SwissSign AG, C=CH",
    sha256: "BE:6C:4D:A2:BB:B9:BA:59:B6:F3:93:97:68:37:42:46:C3:C0:05:99:3F:A9:8F:02:0D:1D:ED:BE:D4:8A:81:D5",
  },
  {
    alias: "szafirrootca2",
    subject: "CN=SZAFIR ROOT CA2, O=Krajowa Izba Rozliczeniowa S.A., C=PL",
    sha256: "A1:33:9D:33:28:1A:0B:56:E5:57:D3:D3:2B:1C:E7:F9:36:7E:B0:94:BD:5F:A7:2A:7E:50:04:C8:DE:D7:CA:FE",
  },
  {
    alias: "teliasonerarootcav1",
    subject: "CN=TeliaSonera Root CA v1, O=TeliaSonera",
    sha256: "DD:69:36:FE:21:F8:F0:77:C1:23:A1:A5:21:C1:22:24:F7:22:55:B7:3E:03:A7:26:06:93:E8:A2:4B:0F:A3:89",
  },
  {
    alias: "trustcoreca1",
    subject:
      "CN=TrustCor ECA-1, OU=TrustCor Certificate Authority, O=TrustCor Systems S. de R.L., L=Panama City, ST=Panama, C=PA",
    sha256: "5A:88:5D:B1:9C:01:D9:12:C5:75:93:88:93:8C:AF:BB:DF:03:1A:B2:D4:8E:91:EE:15:58:9B:42:97:1D:03:9C",
  },
  {
    alias: "trustcorrootcertca1",
    subject:
      "CN=TrustCor RootCert CA-1, OU=TrustCor Certificate Authority, O=TrustCor Systems S. de R.L., L=Panama City, ST=Panama, C=PA",
    sha256: "D4:0E:9C:86:CD:8F:E4:68:C1:77:69:59:F4:9E:A7:74:FA:54:86:84:B6:C4:06:F3:90:92:61:F4:DC:E2:57:5C",
  },
  {
    alias: "trustcorrootcertca2",
    subject:
      "CN=TrustCor RootCert CA-2, OU=TrustCor Certificate Authority, O=TrustCor Systems S. de R.L., L=Panama City, ST=Panama, C=PA",
    sha256: "07:53:E9:40:37:8C:1B:D5:E3:83:6E:39:5D:AE:A5:CB:83:9E:50:46:F1:BD:0E:AE:19:51:CF:10:FE:C7:C9:65",
  },
  {
    alias: "trustwaveglobalcertificationauthority",
    subject: 'CN=Trustwave Global Certification Authority, O="Trustwave Holdings, Inc.", L=Chicago, ST=Illinois, C=US',
    sha256: "97:55:20:15:F5:DD:FC:3C:87:88:C0:06:94:45:55:40:88:94:45:00:84:F1:00:86:70:86:BC:1A:2B:B5:8D:C8",
  },
  {
    alias: "trustwaveglobaleccp256certificationauthority",
    subject:
      'CN=Trustwave Global ECC P256 Certification Authority, O="Trustwave Holdings, Inc.", L=Chicago, ST=Illinois, C=US',
    sha256: "94:5B:BC:82:5E:A5:54:F4:89:D1:FD:51:A7:3D:DF:2E:A6:24:AC:70:19:A0:52:05:22:5C:22:A7:8C:CF:A8:B4",
  },
  {
    alias: "trustwaveglobaleccp384certificationauthority",
    subject:
      'CN=Trustwave Global ECC P384 Certification Authority, O="Trustwave Holdings, Inc.", L=Chicago, ST=Illinois, C=US',
    sha256: "55:90:38:59:C8:C0:C3:EB:B8:75:9E:CE:4E:25:57:22:5F:F5:75:8B:BD:38:EB:D4:82:76:60:1E:1B:D5:80:97",
  },
  {
    alias: "ttelesecglobalrootclass2",
    subject: "CN=T-TeleSec GlobalRoot Class 2, OU=T-Systems Trust Center, O=T-Systems Enterprise Services GmbH, C=DE",
    sha256: "91:E2:F5:78:8D:58:10:EB:A7:BA:58:73:7D:E1:54:8A:8E:CA:CD:01:45:98:BC:0B:14:3E:04:1B:17:05:25:52",
  },
  {
    alias: "ttelesecglobalrootclass3",
    subject: "CN=T-TeleSec GlobalRoot Class 3, OU=T-Systems Trust Center, O=T-Systems Enterprise Services GmbH, C=DE",
    sha256: "FD:73:DA:D3:1C:64:4F:F1:B4:3B:EF:0C:CD:DA:96:71:0B:9C:D9:87:5E:CA:7E:31:70:7A:F3:E9:6D:52:2B:BD",
  },
  {
    alias: "tubitakkamusmsslkoksertifikasisurum1",
    subject:
      "CN=TUBITAK Kamu SM SSL Kok Sertifikasi - Surum 1, OU=Kamu Sertifikasyon Merkezi - Kamu SM, O=Turkiye Bilimsel ve Teknolojik Arastirma Kurumu - TUBITAK, L=Gebze - Kocaeli, C=TR",
    sha256: "46:ED:C3:68:90:46:D5:3A:45:3F:B3:10:4A:B8:0D:CA:EC:65:8B:26:60:EA:16:29:DD:7E:86:79:90:64:87:16",
  },
  {
    alias: "tuntrustrootca",
    subject: "CN=TunTrust Root CA, O=Agence Nationale de Certification Electronique, C=TN",
    sha256: "2E:44:10:2A:B5:8C:B8:54:19:45:1C:8E:19:D9:AC:F3:66:2C:AF:BC:61:4B:6A:53:96:0A:30:F7:D0:E2:EB:41",
  },
  {
    alias: "twcaglobalrootca",
    subject: "CN=TWCA Global Root CA, OU=Root CA, O=TAIWAN-CA, C=TW",
    sha256: "59:76:90:07:F7:68:5D:0F:CD:50:87:2F:9F:95:D5:75:5A:5B:2B:45:7D:81:F3:69:2B:61:0A:98:67:2F:0E:1B",
  },
  {
    alias: "twcarootcertificationauthority",
    subject: "CN=TWCA Root Certification Authority, OU=Root CA, O=TAIWAN-CA, C=TW",
    sha256: "BF:D8:8F:E1:10:1C:41:AE:3E:80:1B:F8:BE:56:35:0E:E9:BA:D1:A6:B9:BD:51:5E:DC:5C:6D:5B:87:11:AC:44",
  },
  {
    alias: "ucaextendedvalidationroot",
    subject: "CN=UCA Extended Validation Root, O=UniTrust, C=CN",
    sha256: "D4:3A:F9:B3:54:73:75:5C:96:84:FC:06:D7:D8:CB:70:EE:5C:28:E7:73:FB:29:4E:B4:1E:E7:17:22:92:4D:24",
  },
  {
    alias: "ucaglobalg2root",
    subject: "CN=UCA Global G2 Root, O=UniTrust, C=CN",
    sha256: "9B:EA:11:C9:76:FE:01:47:64:C1:BE:56:A6:F9:14:B5:A5:60:31:7A:BD:99:88:39:33:82:E5:16:1A:A0:49:3C",
  },
  {
    alias: "usertrustecccertificationauthority",
    subject: "CN=USERTrust ECC Certification Authority, O=The USERTRUST Network, L=Jersey City, ST=New Jersey, C=US",
    sha256: "4F:F4:60:D5:4B:9C:86:DA:BF:BC:FC:57:12:E0:40:0D:2B:ED:3F:BC:4D:4F:BD:AA:86:E0:6A:DC:D2:A9:AD:7A",
  },
  {
    alias: "usertrustrsacertificationauthority",
    subject: "CN=USERTrust RSA Certification Authority, O=The USERTRUST Network, L=Jersey City, ST=New Jersey, C=US",
    sha256: "E7:93:C9:B0:2F:D8:AA:13:E2:1C:31:22:8A:CC:B0:81:19:64:3B:74:9C:89:89:64:B1:74:6D:46:C3:D4:CB:D2",
  },
  {
    alias: "xrampglobalcaroot",
    subject: "CN=XRamp Global Certification Authority, O=XRamp Security Services Inc, OU=www.xrampsecurity.com, C=US",
    sha256: "CE:CD:DC:90:50:99:D8:DA:DF:C5:B1:D2:09:B7:37:CB:E2:C1:8C:FB:2C:10:C0:FF:0B:CF:0D:32:86:FC:1A:A2",
  },
];
