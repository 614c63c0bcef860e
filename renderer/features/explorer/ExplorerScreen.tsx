export function ExplorerScreen({ slug }: { slug: string; query: Record<string, string> }) {
  return (
    <div className="screen">
      <p className="muted">Coming: explorer for {slug}.</p>
    </div>
  );
}
