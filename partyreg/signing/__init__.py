"""Signed PDFs (PAdES): infrastructure that knows no domain.

- ``keys``: where a signing key lives, three ways behind one ``Signer`` interface (a token or
  HSM through PKCS#11, a certificate file (PKCS#12), or signed outside the site and uploaded);
- ``pdf``: ``sign_pdf`` adds a visible signature as an incremental update, the rendered
  document kept byte for byte under it;
- ``verify``: ``verify_pdf`` reports on every signature of a PDF, in plain Vietnamese;
- ``models`` (``TrustedAuthority``, ``SigningCredential``) and ``services``: the authorities
  administrators trust, the credentials they install, and the audited sign and verify.

This module imports nothing, so loading the models does not load pyHanko.
"""
