"""Signed documents in the workflows (issue 18): the document the site issued is the real one.

On top of the domain-free core (``partyreg.signing``: signers, ``sign_pdf``, ``verify_pdf``, the
audited ``document_sign`` and ``document_verify``) and a committee's certificates
(``members.signers``):

- ``models``: ``SignedDocument`` (the rendering kept byte for byte, with every signature added
  to it) and ``DocumentSignature`` (who signed which place, when, with which certificate);
- ``documents``: what a kind of signed document is (how it renders, where each signature goes,
  who signs it); ``sheets`` and ``letters`` are the two kinds, ``kinds`` names them;
- ``services``: keeping a rendering, signing it with the committee's key, accepting a file
  signed outside the site, checking an uploaded file against the record;
- ``refusals``: a refused signature's audit entry outlives the transaction it rolls back;
- ``selectors``, ``forms``, ``views``, ``urls``: the signatures page of a document, the public
  verification page its QR code opens, and the signed file.

The workflows call in at two places: ``sheets.sheet_submitted`` (comment submission) and
``sheets.sheet_certified`` (the commune's certification).
"""
