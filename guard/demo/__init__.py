"""`guard demo`: a scripted stand-in model server and a short conversation through the proxy."""
