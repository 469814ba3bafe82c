"""Local HTTPS servers on loopback: a CA and certificates (trustme), and uvicorn in a thread.

Shared by the sandbox (the simulated Connect servers) and the callbacks receiver (the
retailer's side), so that neither has to import the other.
"""
