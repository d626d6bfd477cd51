"""Operations endpoints: readiness and Prometheus metrics."""
