export function FairnessScreen({ slug }: { slug: string }) {
  return (
    <div className="screen">
      <p className="muted">Coming: Fairness for {slug}.</p>
    </div>
  );
}
