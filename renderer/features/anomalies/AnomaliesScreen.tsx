export function AnomaliesScreen({ slug }: { slug: string }) {
  return (
    <div className="screen">
      <p className="muted">Coming: Anomalies for {slug}.</p>
    </div>
  );
}
