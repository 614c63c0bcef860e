export function OversightScreen({ slug }: { slug: string }) {
  return (
    <div className="screen">
      <p className="muted">Coming: Oversight for {slug}.</p>
    </div>
  );
}
