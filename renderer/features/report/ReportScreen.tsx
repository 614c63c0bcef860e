export function ReportScreen({ slug }: { slug: string }) {
  return (
    <div className="screen">
      <p className="muted">Coming: Report for {slug}.</p>
    </div>
  );
}
